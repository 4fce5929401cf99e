"""Where a campaign stands: its rows counted by state, and what it has cost and holds."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Count, Q, Sum
from django.db.models.functions import Coalesce

from avatars import credits
from avatars.models import Campaign, CreditEntry, JobStatus, RowVerdict

K = CreditEntry.Kind
# A row's state, as the grid filters and the counts name it.
NOT_SENT = "not_sent"
ROW_STATES = [NOT_SENT, *[str(s) for s in JobStatus if s != JobStatus.DRAFT]]
_SENDING = ("queued", "awaiting_approval", "submitting")
_RENDERING = ("submitted", "processing", "storing")


@dataclass(frozen=True)
class Progress:
    counts: dict[str, int]
    cost: Decimal  # charged so far
    held: Decimal  # open holds of rows being rendered
    unsent: Decimal = Decimal(0)  # what the valid rows not yet sent would cost

    @property
    def committed(self) -> Decimal:
        return self.cost + self.held

    @property
    def sent(self) -> int:
        return sum(n for state, n in self.counts.items() if state in ROW_STATES[1:])

    @property
    def final(self) -> int:
        return sum(self.counts.get(s, 0) for s in ("succeeded", "failed", "canceled"))

    @property
    def percent(self) -> int:
        """How much of what is to be rendered has ended, 0–100."""
        todo = self.counts.get(NOT_SENT, 0) + self.sent
        return int(self.final * 100 / todo) if todo else 0

    @property
    def in_flight(self) -> int:
        return sum(self.counts.get(s, 0) for s in (*_SENDING, *_RENDERING))


def progress(campaign: Campaign) -> Progress:
    """Two queries, whatever the number of rows: the rows by verdict and state (with what
    those not yet sent would cost), and the money."""
    groups = (
        campaign.rows.values_list("verdict", "latest_job__status")
        .annotate(n=Count("pk"), estimate=Sum("estimate"))
        .values_list("verdict", "latest_job__status", "n", "estimate")
    )
    counts = {"rows": 0, "valid": 0, "invalid": 0, "duplicates": 0, NOT_SENT: 0}
    unsent = credits.ZERO
    verdicts: dict[str, str] = {RowVerdict.INVALID: "invalid", RowVerdict.DUPLICATE: "duplicates"}
    for verdict, state, n, estimate in groups:
        counts["rows"] += n
        if verdict != RowVerdict.VALID:
            counts[verdicts.get(verdict, verdict)] = (
                counts.get(verdicts.get(verdict, verdict), 0) + n
            )
            continue
        counts["valid"] += n
        key = state or NOT_SENT
        counts[key] = counts.get(key, 0) + n
        if state is None:
            unsent += estimate or credits.ZERO
    money = CreditEntry.objects.filter(job__campaign_row__campaign=campaign).aggregate(
        cost=Coalesce(Sum("amount", filter=Q(kind__in=credits.SPENT_KINDS)), credits.ZERO),
        held=Coalesce(Sum("amount", filter=Q(kind__in=credits.HOLD_KINDS)), credits.ZERO),
    )
    return Progress(counts, money["cost"], money["held"], unsent)


def summary(campaign: Campaign, now: Progress | None = None) -> dict[str, object]:
    """What the operators' command prints: {"campaign", "status", "counts", "cost"}; from
    `now` where the caller has read the campaign's progress already."""
    now = now if now is not None else progress(campaign)
    counts = {state: now.counts.get(state, 0) for state in ROW_STATES}
    counts |= {k: now.counts[k] for k in ("rows", "valid", "invalid", "duplicates")}
    return {
        "campaign": campaign.pk,
        "status": campaign.status,
        "counts": counts,
        "cost": f"{now.cost:.4f}",
        "held": f"{now.held:.4f}",
    }
