"""A campaign's rows checked before any spend: columns matched to the script's variables,
each row's verdict by its spreadsheet number, duplicates collapsed, each render priced.

Plain functions over a read table and the team's library as given: no queries here.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import TypeVar

from django.conf import settings

from avatars import credits, scripts
from avatars.campaigns.spreadsheet import SheetRow, Table
from avatars.models import Avatar, Voice
from avatars.render.requests import avatar_unavailable

AssetT = TypeVar("AssetT", Avatar, Voice)
# Columns that choose, per row, who speaks and with which voice.
AVATAR_COLUMN, VOICE_COLUMN = "avatar", "voice"
# Where the person's name is read from, for their link's title and the row grid.
_NAME_KEYS = ("name", "fullname", "person", "contact")
_FIRST_KEYS = ("firstname", "givenname", "first")
_LAST_KEYS = ("lastname", "surname", "familyname", "last")
_EMAIL_KEYS = ("email", "emailaddress", "mail")


class CampaignFileError(ValueError):
    """A file whose columns cannot fill the script, with a message for the uploader."""


def column_key(name: str) -> str:
    """A column's or variable's name as they are matched: "First Name" ~ {{first_name}}."""
    return "".join(ch for ch in name.casefold() if ch not in " _-\t")


@dataclass(frozen=True)
class ColumnMapping:
    """Which column fills each {{variable}}, and the per-row avatar and voice columns."""

    variables: dict[str, str]
    avatar: str = ""
    voice: str = ""
    # Variables with a fallback that no column fills: every row says the fallback.
    unfilled: list[str] = field(default_factory=list)

    def as_json(self) -> dict[str, object]:
        return {
            "variables": self.variables,
            "avatar": self.avatar,
            "voice": self.voice,
            "unfilled": self.unfilled,
        }


def map_columns(headers: list[str], script_text: str) -> ColumnMapping:
    """Match the file's columns to the script's variables, or refuse the file when a
    variable that has no fallback has no column."""
    by_key = {column_key(h): h for h in headers}
    required = set(scripts.required_variables(script_text))
    found: dict[str, str] = {}
    missing, unfilled = [], []
    for name in scripts.variables(script_text):
        column = by_key.get(column_key(name))
        if column is not None:
            found[name] = column
        elif name in required:
            missing.append(name)
        else:
            unfilled.append(name)
    if missing:
        needed = ", ".join(f"{{{{{n}}}}}" for n in missing)
        raise CampaignFileError(
            f"No column fills {needed}. Add a column named like the variable "
            f"(“{missing[0].replace('_', ' ').title()}” fills {{{{{missing[0]}}}}}), or give the "
            "variable a fallback in the script, like {{" + missing[0] + "|there}}."
        )
    return ColumnMapping(
        variables=found,
        avatar=by_key.get(AVATAR_COLUMN, ""),
        voice=by_key.get(VOICE_COLUMN, ""),
        unfilled=unfilled,
    )


@dataclass
class CheckedRow:
    number: int
    values: dict[str, str]
    dedupe_key: str
    variables: dict[str, str] = field(default_factory=dict)
    text: str = ""
    person: str = ""
    avatar: Avatar | None = None
    voice: Voice | None = None
    error: str = ""
    duplicate_of: int | None = None
    estimate: Decimal | None = None

    @property
    def verdict(self) -> str:
        if self.duplicate_of is not None:
            return "duplicate"
        return "invalid" if self.error else "valid"


@dataclass(frozen=True)
class Library:
    """What rows may name: the team's avatars and voices by case-folded name, and how a
    row's render is priced."""

    avatars: Mapping[str, Avatar]
    voices: Mapping[str, Voice]
    language: str
    provider: str
    resolution: str

    @classmethod
    def of(
        cls,
        avatars: Iterable[Avatar],
        voices: Iterable[Voice],
        *,
        language: str,
        provider: str,
        resolution: str,
    ) -> Library:
        return cls(
            {a.name.strip().casefold(): a for a in avatars},
            {v.name.strip().casefold(): v for v in voices},
            language,
            provider,
            resolution,
        )


@dataclass
class CheckedTable:
    mapping: ColumnMapping
    rows: list[CheckedRow]

    @property
    def valid(self) -> list[CheckedRow]:
        return [r for r in self.rows if r.verdict == "valid"]

    @property
    def invalid(self) -> list[CheckedRow]:
        return [r for r in self.rows if r.verdict == "invalid"]

    @property
    def duplicates(self) -> list[CheckedRow]:
        return [r for r in self.rows if r.verdict == "duplicate"]

    @property
    def estimate(self) -> Decimal:
        return sum((r.estimate or credits.ZERO for r in self.valid), credits.ZERO)


def dedupe_key(row: SheetRow, headers: list[str]) -> str:
    """Equal for rows whose cells are equal once trimmed and case-folded."""
    cells = "\x1f".join(row.values.get(h, "").strip().casefold() for h in headers)
    return hashlib.sha256(cells.encode()).hexdigest()


def check_table(
    table: Table,
    script_text: str,
    library: Library,
    *,
    known: Mapping[str, int] | None = None,
) -> CheckedTable:
    """Every row's verdict: valid (with its text and price), invalid (with why) or a
    duplicate of an earlier row (or of a `known` row already in the campaign, by key)."""
    mapping = map_columns(table.headers, script_text)
    seen: dict[str, int] = dict(known or {})
    checked = []
    for row in table.rows:
        key = dedupe_key(row, table.headers)
        result = CheckedRow(row.number, row.values, key)
        result.person = person_of(row.values, table.headers) or f"Row {row.number}"
        if key in seen:
            result.duplicate_of = seen[key]
        else:
            seen[key] = row.number
            _check_row(result, script_text, mapping, library)
        checked.append(result)
    return CheckedTable(mapping, checked)


def _check_row(
    row: CheckedRow,
    script_text: str,
    mapping: ColumnMapping,
    library: Library,
) -> None:
    problems = []
    limit = settings.CAMPAIGN_VALUE_MAX_CHARS
    required = set(scripts.required_variables(script_text))
    for name, column in mapping.variables.items():
        value = row.values.get(column, "").strip()
        if not value and name in required:
            problems.append(f"“{column}” is empty (it fills {{{{{name}}}}})")
        elif len(value) > limit:
            problems.append(f"“{column}” has {len(value):,} characters; at most {limit:,} fit")
        row.variables[name] = value
    row.avatar, problem = _named(row, mapping.avatar, library.avatars, "avatar")
    if problem:
        problems.append(problem)
    row.voice, problem = _named(row, mapping.voice, library.voices, "voice")
    if problem:
        problems.append(problem)
    row.text = scripts.fill(script_text, row.variables)
    if not problems and len(row.text) > settings.SCRIPT_MAX_CHARS:
        problems.append(
            f"filled in, the script has {len(row.text):,} characters; the limit is "
            f"{settings.SCRIPT_MAX_CHARS:,}"
        )
    if problems:
        row.error = "; ".join(problems)
        row.error = row.error[:1].upper() + row.error[1:] + "."
        return
    seconds = credits.estimated_seconds(text=row.text, language=library.language)
    row.estimate = credits.price(library.provider, library.resolution, seconds)


def _named(
    row: CheckedRow, column: str, library: Mapping[str, AssetT], noun: str
) -> tuple[AssetT | None, str]:
    """The avatar or voice a row names in its own column (None: the campaign's), and why
    it cannot be used, or ""."""
    name = row.values.get(column, "").strip() if column else ""
    if not name:
        return None, ""
    found = library.get(name.casefold())
    if found is None:
        return None, f"there is no {noun} called “{name}” in the team's library"
    if isinstance(found, Avatar) and (why := avatar_unavailable(found)):
        return None, f"the avatar “{name}” cannot be rendered ({why[:1].lower()}{why[1:]})"
    if found.archived:
        return None, f"the {noun} “{name}” is archived"
    return found, ""


def person_of(values: Mapping[str, str], headers: list[str]) -> str:
    """Who a row is about, by name where the file says it, else by e-mail address."""
    by_key = {column_key(h): values.get(h, "").strip() for h in headers}

    def first(keys: tuple[str, ...]) -> str:
        return next((by_key[k] for k in keys if by_key.get(k)), "")

    if name := first(_NAME_KEYS):
        return name[:200]
    full = " ".join(part for part in (first(_FIRST_KEYS), first(_LAST_KEYS)) if part)
    return (full or first(_EMAIL_KEYS))[:200]
