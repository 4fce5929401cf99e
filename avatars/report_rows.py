"""The credit reports as CSV rows: a header, then one list of cells a line.

Each generator reads its queryset (from avatars/reports.py) with `.iterator()`, so a year of
ledger rows streams through without sitting in memory; avatars/csv_export.py writes them.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Iterator
from decimal import Decimal

from django.db.models import QuerySet
from django.utils import timezone

from avatars import reports
from avatars.csv_export import plain_text
from avatars.models import AuditEntry, CreditEntry, Team
from avatars.reports import Month

CHUNK = 2000

SUMMARY_HEADER = ["month", "team", "user", "provider", "kind", "entries", "amount"]
LEDGER_HEADER = ["time", "team", "kind", "amount", "provider", "job", "user", "requester", "reason"]
HOLDS_HEADER = ["held_at", "age_hours", "team", "job", "job_status", "provider", "user", "amount"]
RECONCILIATION_HEADER = [
    "job",
    "created_at",
    "team",
    "provider",
    "status",
    "estimated_cost",
    "reported_cost",
    "difference",
    "percent",
]
AUDIT_HEADER = ["time", "team", "action", "actor", "job", "amount", "detail"]


def timestamp(value: datetime.datetime | None) -> str:
    return timezone.localtime(value).isoformat(timespec="seconds") if value else ""


def amount(value: Decimal | None) -> str:
    return "" if value is None else str(reports.money(value))


def summary_rows(month: Month, team: Team | None = None) -> Iterator[list[str]]:
    """The ledger summary of `credits_report` and the overview's CSV, header first:
    detail lines, then the TOTAL lines of `reports.summary_totals`."""
    yield SUMMARY_HEADER
    for row in reports.summary(month, team).iterator(chunk_size=CHUNK):
        yield [
            month.label,
            row["team_slug"],
            plain_text(row["who"]),
            row["provider"],
            row["kind"],
            str(row["entries"]),
            amount(row["amount"]),
        ]
    scope = team.slug if team else "TOTAL"
    for name, count, total in reports.summary_totals(month, team):
        yield [month.label, scope, "", "", name, str(count), amount(total)]


def breakdown_rows(dimension: str, month: Month, team: Team | None = None) -> Iterator[list[str]]:
    """One breakdown of the overview (a key of reports.BREAKDOWNS, or "month") in full."""
    yield [dimension, "label", "entries", "amount"]
    if dimension == "month":
        rows: Iterable[dict] = reports.spend_by_month(month, team)
    else:
        rows = reports.spend_by(dimension, month, team).iterator(chunk_size=CHUNK)
    for row in rows:
        key = "" if row["key"] is None else row["key"]
        yield [
            plain_text(key),
            plain_text(row["label"]),
            str(row["entries"]),
            amount(row["amount"]),
        ]


def ledger_rows(entries: reports.LedgerRows) -> Iterator[list[str]]:
    """Rows of reports.ledger() (which annotates `requester`)."""
    yield LEDGER_HEADER
    columns = entries.values_list(
        "created_at",
        "team__slug",
        "kind",
        "amount",
        "provider",
        "job_id",
        "user__username",
        "requester",
        "reason",
    )
    for when, team, kind, value, provider, job, user, requester, reason in columns.iterator(
        chunk_size=CHUNK
    ):
        yield [
            timestamp(when),
            team,
            kind,
            amount(value),
            provider,
            str(job or ""),
            plain_text(user),
            plain_text(requester),
            plain_text(reason),
        ]


def hold_rows(holds: QuerySet[CreditEntry]) -> Iterator[list[str]]:
    yield HOLDS_HEADER
    now = timezone.now()
    columns = holds.values_list(
        "created_at", "team__slug", "job_id", "job__status", "provider", "user__username", "amount"
    )
    for when, team, job, status, provider, user, value in columns.iterator(chunk_size=CHUNK):
        age = round((now - when).total_seconds() / 3600, 1)
        yield [
            timestamp(when),
            str(age),
            team,
            str(job or ""),
            status or "",
            provider,
            plain_text(user),
            amount(value),
        ]


def reconciliation_rows(jobs: reports.ReconciliationRows) -> Iterator[list[str]]:
    """Rows of reports.reconciliation() (which annotates `difference`)."""
    yield RECONCILIATION_HEADER
    columns = jobs.values_list(
        "pk",
        "created_at",
        "team__slug",
        "provider",
        "status",
        "estimated_cost",
        "cost",
        "difference",
    )
    for pk, when, team, provider, status, estimate, cost, difference in columns.iterator(
        chunk_size=CHUNK
    ):
        yield [
            str(pk),
            timestamp(when),
            team,
            provider,
            status,
            amount(estimate),
            amount(cost),
            amount(difference),
            reports.percent(difference, estimate),
        ]


def audit_rows(entries: QuerySet[AuditEntry]) -> Iterator[list[str]]:
    yield AUDIT_HEADER
    columns = entries.values_list(
        "created_at", "team__slug", "action", "actor__username", "job_id", "amount", "detail"
    )
    for when, team, action, actor, job, value, detail in columns.iterator(chunk_size=CHUNK):
        yield [
            timestamp(when),
            team,
            action,
            plain_text(actor),
            str(job or ""),
            amount(value),
            plain_text(detail),
        ]
