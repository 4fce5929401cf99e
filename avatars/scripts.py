"""Script text: {{variables}}, spoken-duration estimates and revisions."""

from __future__ import annotations

import difflib
import itertools
import re
import unicodedata
from collections.abc import Iterator
from typing import TYPE_CHECKING

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from avatars import catalog

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser, User

    from avatars.models import Script, ScriptRevision

# {{first_name}}, or {{first_name|there}}: said as "there" when the value is empty.
VARIABLE = re.compile(r"\{\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*(?:\|([^{}|\n]{0,100}))?\}\}")
_ANY_BRACES = re.compile(r"\{\{(.*?)\}\}", re.DOTALL)
# A name in one pair of braces, not part of a {{variable}}: most likely a variable mistyped.
_SINGLE_BRACES = re.compile(r"(?<!\{)\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*\}(?!\})")


def variables(text: str) -> list[str]:
    """The distinct {{variable}} names of a text, in order of first use."""
    return list(dict.fromkeys(m.group(1) for m in VARIABLE.finditer(text)))


def required_variables(text: str) -> list[str]:
    """The variables that must be given a value: those used at least once without a
    fallback, in order of first use."""
    return list(dict.fromkeys(m.group(1) for m in VARIABLE.finditer(text) if m.group(2) is None))


def fill(text: str, values: dict[str, str]) -> str:
    """The text with each {{variable}} replaced by its value, or by its fallback where the
    value is empty; a variable with neither stays as written."""

    def value(match: re.Match[str]) -> str:
        given = values.get(match.group(1), "").strip()
        if given:
            return given
        fallback = match.group(2)
        return fallback.strip() if fallback is not None else match.group(0)

    return VARIABLE.sub(value, text)


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
                "underscores, like {{first_name}}, with a fallback after a bar if you like: "
                "{{first_name|there}}.",
                code="bad_variable",
            )
    leftover = _ANY_BRACES.sub("", text)
    if "{{" in leftover or "}}" in leftover:
        raise ValidationError(
            "The script has a “{{” or “}}” without its partner; "
            "variables look like {{first_name}}.",
            code="unbalanced",
        )


def warnings(text: str) -> list[str]:
    """What looks like a mistake in a text that validate_text accepts: a variable in single
    braces (read out as written), or two variables that differ only in case or underscores
    (each filled in separately)."""
    found = []
    for name in dict.fromkeys(_SINGLE_BRACES.findall(text)):
        found.append(
            f"“{{{name}}}” has single braces, so it is read out as written. "
            f"Write {{{{{name}}}}} to fill it in at render time."
        )
    alike: dict[str, list[str]] = {}
    for name in variables(text):
        alike.setdefault(name.replace("_", "").casefold(), []).append(name)
    for names in alike.values():
        if len(names) > 1:
            *most, last = [f"{{{{{n}}}}}" for n in names]
            spelled = f"{', '.join(most)} and {last}"
            found.append(
                f"{spelled} look like one variable spelled {len(names)} ways; "
                "each has to be filled in on its own."
            )
    return found


def unused_variables(text: str, given: dict[str, str]) -> list[str]:
    """The names given values for a render that the text does not use, in the given order."""
    used = set(variables(text))
    return [name for name in given if name not in used]


def language_warning(script_language: str, voice_language: str, voice: str) -> str:
    """What to say when a voice of another language would read the script, or ""."""
    if script_language == voice_language:
        return ""
    labels = catalog.LANGUAGES
    script_label = labels[script_language].label if script_language in labels else script_language
    voice_label = labels[voice_language].label if voice_language in labels else voice_language
    return (
        f"The script is in {script_label} but the voice “{voice}” speaks {voice_label}. "
        f"Pick a voice that speaks {script_label}, or change the script's language."
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


def duplicate(script: Script, author: User) -> Script:
    """A copy of the script in its team, titled "… (copy)" or "… (copy 2)"…, as revision 1."""
    model = type(script)
    base = script.title[:180]
    for _attempt in range(3):
        taken = set(
            model.objects.filter(team_id=script.team_id, title__startswith=base).values_list(
                "title", flat=True
            )
        )
        title = next(t for t in _copy_titles(base) if t not in taken)
        copy = model(
            team_id=script.team_id,
            title=title,
            language=script.language,
            text=script.text,
            created_by=author,
        )
        try:
            save_with_revision(copy, author)
        except IntegrityError:  # someone took the title a moment ago: look again
            continue
        return copy
    raise IntegrityError(f"No free title for a copy of {script.title!r}.")


def _copy_titles(title: str) -> Iterator[str]:
    yield f"{title} (copy)"
    for n in itertools.count(2):
        yield f"{title} (copy {n})"
