"""The ledger, open holds, reconciliation and the audit log: each a filtered listing,
newest first, a keyset page at a time, or every matching row as CSV."""

from __future__ import annotations

from typing import Any

from django.db.models import F, QuerySet
from django.utils import timezone

from avatars import credits, crun_balance, report_rows, reports
from avatars.models import CreditEntry, JobStatus
from avatars.models.jobs import FINAL_STATUSES

from .filters import AuditFilters, Filters, LedgerFilters, TeamFilter
from .report_page import Listing, listing_view


def _signed(entry: Any) -> None:
    entry.signed = reports.signed(entry.amount)
    # Only rows booked before drafts were free: a free draft writes none.
    entry.draft = credits.is_free(entry.provider)


ledger = listing_view(
    Listing("ledger", "Ledger", LedgerFilters, reports.ledger, report_rows.ledger_rows),
    reads=lambda entries: entries.select_related("team", "user"),
    each=_signed,
)


def _with_job_status(holds: QuerySet[CreditEntry]) -> QuerySet[CreditEntry]:
    return holds.select_related("team", "user").annotate(status=F("job__status"))


def _hold_state(hold: Any) -> None:
    hold.status_label = JobStatus(hold.status).label if hold.status else ""
    # Settling a finished job releases its hold; one still open is a fault to look into.
    hold.stuck = hold.status in FINAL_STATUSES


holds = listing_view(
    Listing("open-holds", "Open holds", TeamFilter, reports.open_holds, report_rows.hold_rows),
    reads=_with_job_status,
    each=_hold_state,
    context=lambda chosen: {"held": reports.held(chosen.get("team"))},
    # Holds are listed whenever they were taken: the file is named by the day it was made.
    undated=lambda: f"{timezone.localdate():%Y-%m-%d}",
)


def _percent(job: Any) -> None:
    job.percent = reports.percent(job.difference, job.estimated_cost)


def _reconciliation_context(chosen: dict[str, Any]) -> dict[str, Any]:
    # What Crun last said, never a call to Crun: Provider health reads it (crun_balance).
    return {"tolerance": reports.TOLERANCE_PERCENT, "balance": crun_balance.last_read()}


reconciliation = listing_view(
    Listing(
        "reconciliation",
        "Reconciliation",
        Filters,
        reports.reconciliation,
        report_rows.reconciliation_rows,
    ),
    reads=lambda jobs: jobs.select_related("team"),
    each=_percent,
    context=_reconciliation_context,
)

audit = listing_view(
    Listing("audit", "Audit log", AuditFilters, reports.audit_log, report_rows.audit_rows),
    reads=lambda entries: entries.select_related("team", "actor"),
)
