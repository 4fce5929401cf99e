"""The ledger, open holds, reconciliation and the audit log: each a filtered listing,
newest first, a keyset page at a time, or every matching row as CSV."""

from __future__ import annotations

from typing import Any

from django.db.models import F, QuerySet
from django.utils import timezone

from avatars import crun_balance, report_rows, reports
from avatars.models import CreditEntry, JobStatus
from avatars.models.jobs import FINAL_STATUSES

from .filters import AuditFilters, Filters, LedgerFilters, TeamFilter
from .report_page import Listing, listing_view


def _signed(entry: Any) -> None:
    entry.signed = reports.signed(entry.amount)


ledger = listing_view(
    Listing(
        title="Ledger",
        template="credits/ledger.html",
        filters=LedgerFilters,
        rows=reports.ledger,
        csv_rows=report_rows.ledger_rows,
        csv_prefix="ledger",
        page_rows=lambda entries: entries.select_related("team", "user"),
        each=_signed,
    )
)


def _with_job_status(holds: QuerySet[CreditEntry]) -> QuerySet[CreditEntry]:
    return holds.select_related("team", "user").annotate(status=F("job__status"))


def _hold_state(hold: Any) -> None:
    hold.status_label = JobStatus(hold.status).label if hold.status else ""
    # Settling a finished job releases its hold; one still open is a fault to look into.
    hold.stuck = hold.status in FINAL_STATUSES


holds = listing_view(
    Listing(
        title="Open holds",
        template="credits/holds.html",
        filters=TeamFilter,
        rows=reports.open_holds,
        csv_rows=report_rows.hold_rows,
        csv_prefix="open-holds",
        page_rows=_with_job_status,
        each=_hold_state,
        context=lambda chosen: {"held": reports.held(chosen.get("team"))},
        undated=lambda: f"{timezone.localdate():%Y-%m-%d}",
    )
)


def _percent(job: Any) -> None:
    job.percent = reports.percent(job.difference, job.estimated_cost)


reconciliation = listing_view(
    Listing(
        title="Reconciliation",
        template="credits/reconciliation.html",
        filters=Filters,
        rows=reports.reconciliation,
        csv_rows=report_rows.reconciliation_rows,
        csv_prefix="reconciliation",
        page_rows=lambda jobs: jobs.select_related("team"),
        each=_percent,
        context=lambda chosen: {
            "tolerance": reports.TOLERANCE_PERCENT,
            "balance": crun_balance.last_read(),
        },
    )
)

audit = listing_view(
    Listing(
        title="Audit log",
        template="credits/audit.html",
        filters=AuditFilters,
        rows=reports.audit_log,
        csv_rows=report_rows.audit_rows,
        csv_prefix="audit",
        page_rows=lambda entries: entries.select_related("team", "actor"),
    )
)
