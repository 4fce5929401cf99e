"""The credit reports as CSV rows: a header, then one list of cells a line.

A team is named as the pages name it, by its name (`team`); `team_slug` beside it is for
machines, since a name can change and a slug is what the pages' filters and file names use.

Each generator reads its queryset (from avatars/reports.py) with `.iterator()`, so a year of
ledger rows streams through without sitting in memory; avatars/csv_export.py writes them.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Iterator
from decimal import Decimal
from typing import Any

from django.db.models import QuerySet
from django.utils import timezone

from avatars import reports
from avatars.csv_export import plain_text
from avatars.models import AuditEntry, CreditEntry, RenderJob, Team
from avatars.reports import Month

CHUNK = 2000

SUMMARY_HEADER = ["month", "team", "team_slug", "user", "provider", "kind", "entries", "amount"]
# Each listing's CSV columns: header → the field it shows.
LEDGER = {
    "time": "created_at",
    "team": "team__name",
    "team_slug": "team__slug",
    "kind": "kind",
    "amount": "amount",
    "provider": "provider",
    "job": "job_id",
    "user": "user__username",
    "requester": "requester",
    "reason": "reason",
    "campaign": "job__campaign_row__campaign__name",
}
# age_hours is worked out from held_at.
HOLDS = {
    "held_at": "created_at",
    "team": "team__name",
    "team_slug": "team__slug",
    "job": "job_id",
    "job_status": "job__status",
    "provider": "provider",
    "user": "user__username",
    "amount": "amount",
}
# percent is worked out from the last three.
RECONCILIATION = {
    "job": "pk",
    "created_at": "created_at",
    "team": "team__name",
    "team_slug": "team__slug",
    "provider": "provider",
    "status": "status",
    "estimated_cost": "estimated_cost",
    "reported_cost": "cost",
    "difference": "difference",
}
AUDIT = {
    "time": "created_at",
    "team": "team__name",
    "team_slug": "team__slug",
    "action": "action",
    "actor": "actor__username",
    "job": "job_id",
    "amount": "amount",
    "detail": "detail",
}
CAMPAIGN_SPEND = {
    "campaign": "campaign",
    "campaign_id": "campaign_id",
    "team": "team_name",
    "team_slug": "team_slug",
    "renders": "renders",
    "charges": "charges",
    "charged": "charged",
    "refunded": "refunded",
    "adjusted": "adjusted",
    "net": "net",
    "held": "held",
}
LEDGER_HEADER = list(LEDGER)
HOLDS_HEADER = ["held_at", "age_hours", *list(HOLDS)[1:]]
RECONCILIATION_HEADER = [*RECONCILIATION, "percent"]
AUDIT_HEADER = list(AUDIT)
CAMPAIGN_SPEND_HEADER = list(CAMPAIGN_SPEND)


def timestamp(value: datetime.datetime | None) -> str:
    return timezone.localtime(value).isoformat(timespec="seconds") if value else ""


def amount(value: Decimal | None) -> str:
    return "" if value is None else str(reports.money(value))


def cell(value: object) -> str:
    """A value as its CSV cell: times in the site's zone, money at the ledger's precision,
    text that no spreadsheet runs as a formula, nothing as an empty cell."""
    if value is None:
        return ""
    if isinstance(value, datetime.datetime):
        return timestamp(value)
    if isinstance(value, Decimal):
        return amount(value)
    return plain_text(value)


def summary_rows(month: Month, team: Team | None = None) -> Iterator[list[str]]:
    """The ledger summary of `credits_report` and the overview's CSV, header first:
    detail lines, then the TOTAL lines of `reports.summary_totals`."""
    yield SUMMARY_HEADER
    for row in reports.summary(month, team).iterator(chunk_size=CHUNK):
        yield [
            month.label,
            plain_text(row["team_name"]),
            row["team_slug"],
            plain_text(row["who"]),
            row["provider"],
            row["kind"],
            str(row["entries"]),
            amount(row["amount"]),
        ]
    scope = [plain_text(team.name), team.slug] if team else ["TOTAL", ""]
    for name, count, total in reports.summary_totals(month, team):
        yield [month.label, *scope, "", "", name, str(count), amount(total)]


def breakdown_rows(dimension: str, month: Month, team: Team | None = None) -> Iterator[list[str]]:
    """One breakdown of the overview (a key of reports.BREAKDOWNS, or "month") in full.

    The first column names each line as the page does (a team's name, an avatar's name,
    "Nov 2025"); `key` is what a machine matches on (the team's slug, the avatar's id, 2025-11).
    """
    yield [dimension, "key", "entries", "amount"]
    if dimension == "month":
        rows: Iterable[dict] = reports.spend_by_month(month, team)
    else:
        rows = reports.spend_by(dimension, month, team).iterator(chunk_size=CHUNK)
    for row in rows:
        key = "" if row["key"] is None else row["key"]
        yield [
            plain_text(row["label"]),
            plain_text(key),
            str(row["entries"]),
            amount(row["amount"]),
        ]


def ledger_rows(entries: QuerySet[CreditEntry]) -> Iterator[list[str]]:
    """Rows of reports.ledger() (which annotates `requester`)."""
    return _table(LEDGER, entries)


def campaign_spend_rows(rows: QuerySet) -> Iterator[list[str]]:
    """Rows of reports.spend_by_campaign()."""
    yield CAMPAIGN_SPEND_HEADER
    for row in rows.iterator(chunk_size=CHUNK):
        yield [cell(row[field]) for field in CAMPAIGN_SPEND.values()]


def hold_rows(holds: QuerySet[CreditEntry]) -> Iterator[list[str]]:
    yield HOLDS_HEADER
    now = timezone.now()
    for when, *rest in _values(HOLDS, holds):
        age = round((now - when).total_seconds() / 3600, 1)
        yield [timestamp(when), str(age), *map(cell, rest)]


def reconciliation_rows(jobs: QuerySet[RenderJob]) -> Iterator[list[str]]:
    """Rows of reports.reconciliation() (which annotates `difference`), and the percent."""
    yield RECONCILIATION_HEADER
    for values in _values(RECONCILIATION, jobs):
        *_, estimate, _cost, difference = values
        yield [*map(cell, values), reports.percent(difference, estimate)]


def audit_rows(entries: QuerySet[AuditEntry]) -> Iterator[list[str]]:
    return _table(AUDIT, entries)


def _values(columns: dict[str, str], queryset: QuerySet) -> Iterator[tuple[Any, ...]]:
    """The queryset's values of `columns`, read a chunk at a time."""
    return queryset.values_list(*columns.values()).iterator(chunk_size=CHUNK)


def _table(columns: dict[str, str], queryset: QuerySet) -> Iterator[list[str]]:
    yield list(columns)
    for values in _values(columns, queryset):
        yield [cell(value) for value in values]
