"""Script text: {{variables}}, spoken-duration estimates and revisions."""

from __future__ import annotations

import difflib
import re
import unicodedata
from typing import TYPE_CHECKING

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction

from avatars import catalog

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser, User

    from avatars.models import Script, ScriptRevision

VARIABLE = re.compile(r"\{\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*\}\}")
_ANY_BRACES = re.compile(r"\{\{(.*?)\}\}", re.DOTALL)


def variables(text: str) -> list[str]:
    """The distinct {{variable}} names of a text, in order of first use."""
    return list(dict.fromkeys(VARIABLE.findall(text)))


def validate_text(text: str) -> None:
    """Refuse text that is too long or has a placeholder that is not a valid {{variable}}."""
    limit = settings.SCRIPT_MAX_CHARS
    if len(text) > limit:
        raise ValidationError(
            f"A script can be at most {limit:,} characters; this one has {len(text):,}. "
            "Split it into shorter videos.",
            code="too_long",
        )
    if not text.strip():
        raise ValidationError("The script has nothing to say.", code="empty")
    for match in _ANY_BRACES.finditer(text):
        if not VARIABLE.fullmatch(match.group(0)):
            raise ValidationError(
                f"“{match.group(0)}” is not a valid variable: use letters, digits and "
                "underscores, like {{first_name}}.",
                code="bad_variable",
            )
    leftover = _ANY_BRACES.sub("", text)
    if "{{" in leftover or "}}" in leftover:
        raise ValidationError(
            "The script has a “{{” or “}}” without its partner; "
            "variables look like {{first_name}}.",
            code="unbalanced",
        )


def _spoken_units(text: str, language: catalog.Language) -> int:
    if language.counts_characters:
        return sum(
            1 for ch in text if not ch.isspace() and not unicodedata.category(ch).startswith("P")
        )
    return len([word for word in text.split() if any(ch.isalnum() for ch in word)])


def estimated_seconds(text: str, language_code: str) -> float:
    """How long a typical voice takes to say the text (each variable counts as one word)."""
    language = catalog.LANGUAGES.get(language_code, catalog.LANGUAGES["en-US"])
    spoken = VARIABLE.sub(" x ", text)
    return round(_spoken_units(spoken, language) * 60 / language.units_per_minute, 1)


def changes(before: str, after: str) -> list[tuple[str, str]]:
    """The lines a revision removed ("-") and added ("+"), in order."""
    lines = difflib.ndiff(before.splitlines(), after.splitlines())
    return [(line[0], line[2:]) for line in lines if line[:1] in "+-"]


def save_with_revision(
    script: Script, author: User | AnonymousUser | None
) -> ScriptRevision | None:
    """Save the script and keep a revision if its text or language changed since the last one."""
    with transaction.atomic():
        script.save()
        # The row lock serialises concurrent editors so revision numbers never collide.
        type(script).objects.select_for_update().filter(pk=script.pk).first()
        latest = script.revisions.order_by("-number").first()
        if latest and latest.text == script.text and latest.language == script.language:
            return None
        return script.revisions.create(
            number=(latest.number + 1) if latest else 1,
            text=script.text,
            language=script.language,
            author=author if author and author.is_authenticated else None,
        )
