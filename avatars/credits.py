"""Estimates, holds, charges and budgets: every credit movement is a CreditEntry row.

A render's estimate is held when it is requested (after checking the team's budget, under
a lock on the team so two requests cannot both take the last dollar), and settled exactly
once when the job ends: a success releases the hold and charges the real cost, a failure
or a cancel releases it. Balances are sums over the ledger, computed in the database.

A free draft (a render by the draft provider, `is_free`) costs nothing: it is priced at
$0.00, holds and is charged nothing, so it writes no ledger row and no budget stops it.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING

from django.conf import settings
from django.db.models import Q, Sum
from django.db.models.functions import Coalesce
from django.utils import timezone

from avatars import routing, scripts
from avatars.models import AuditEntry, Campaign, CreditEntry, JobStatus, RenderJob, Team

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser, User

K = CreditEntry.Kind
ZERO = Decimal("0")
CENT = Decimal("0.0001")
SPENT_KINDS = (K.CHARGE, K.REFUND, K.ADJUSTMENT)
HOLD_KINDS = (K.HOLD, K.RELEASE)


class BudgetExceeded(Exception):
    pass


# --- prices -----------------------------------------------------------------------------------

FREE_DRAFT = "Free draft — $0.00"


def is_free(provider: str) -> bool:
    """Whether renders on `provider` cost nothing: the draft provider renders on our own
    machine. The one rule: prices, holds, charges, budgets and reports all ask it."""
    return provider == routing.DRAFT_PROVIDER


def free_renders() -> Q:
    """`is_free` as a filter of render jobs."""
    return Q(provider=routing.DRAFT_PROVIDER)


def price_per_second(provider: str, resolution: str) -> Decimal:
    if is_free(provider):
        return ZERO
    table = settings.PROVIDER_PRICES.get(provider) or settings.PROVIDER_PRICES["default"]
    return Decimal(str(table[resolution]))


def price(provider: str, resolution: str, seconds: float) -> Decimal:
    return (price_per_second(provider, resolution) * Decimal(str(round(seconds, 2)))).quantize(CENT)


def estimated_seconds(
    *, text: str = "", language: str = "en-US", audio_seconds: float | None = None
) -> float:
    if audio_seconds is not None:
        return audio_seconds
    return scripts.estimated_seconds(text, language)


# --- budgets ----------------------------------------------------------------------------------


def month_start(when: datetime.datetime | None = None) -> datetime.datetime:
    local = timezone.localtime(when or timezone.now())
    return local.replace(day=1, hour=0, minute=0, second=0, microsecond=0)


@dataclass(frozen=True)
class BudgetStatus:
    team: Team
    budget: Decimal
    spent: Decimal  # charges, refunds and adjustments this month
    held: Decimal  # open holds of renders not yet finished

    @property
    def committed(self) -> Decimal:
        return self.spent + self.held

    @property
    def left(self) -> Decimal:
        return max(ZERO, self.budget - self.committed)

    @property
    def percent(self) -> int:
        return int(self.committed * 100 / self.budget) if self.budget > 0 else 100

    @property
    def level(self) -> str:
        """ "ok", "warning" (75 %), "critical" (90 %) or "exhausted"."""
        if self.committed >= self.budget:
            return "exhausted"
        if self.percent >= 90:
            return "critical"
        return "warning" if self.percent >= 75 else "ok"


def budget_status(team: Team, now: datetime.datetime | None = None) -> BudgetStatus:
    sums = CreditEntry.objects.filter(team=team).aggregate(
        spent=Coalesce(
            Sum("amount", filter=Q(kind__in=SPENT_KINDS, created_at__gte=month_start(now))), ZERO
        ),
        held=Coalesce(Sum("amount", filter=Q(kind__in=HOLD_KINDS)), ZERO),
    )
    return BudgetStatus(team, team.monthly_budget, sums["spent"], sums["held"])


def dollars(amount: Decimal) -> str:
    return f"${amount.quantize(Decimal('0.01')):,}"


def reserve(job: RenderJob, user: User | None) -> None:
    """Hold a new job's estimate, or refuse it if the team's budget cannot cover it.

    Runs inside the transaction that creates the job; the team row lock serialises every
    reservation of a team, so concurrent requests see each other's holds. A free draft
    holds nothing, so no budget, spent or not, refuses it.
    """
    if is_free(job.provider):
        return
    team = Team.objects.select_for_update().get(pk=job.team_id)
    status = budget_status(team)
    estimate = job.estimated_cost or ZERO
    if status.committed + estimate > status.budget:
        raise BudgetExceeded(
            f"This render would cost about {dollars(estimate)}, but only {dollars(status.left)} "
            f"of {team}'s {dollars(status.budget)} budget is left this month."
        )
    CreditEntry.objects.create(
        team=team, job=job, user=user, provider=job.provider, kind=K.HOLD, amount=estimate
    )


def settle(job_id: int, status: str) -> None:
    """Release a finished job's hold and, if it succeeded, charge what it cost (once).

    A free draft is charged nothing; one that fell back to the draft provider from a paid one
    still has the paid provider's hold released.
    """
    job = RenderJob.objects.select_related("team").get(pk=job_id)
    entries = {
        e.kind: e
        for e in CreditEntry.objects.filter(job=job, kind__in=[K.HOLD, K.CHARGE, K.RELEASE])
    }
    common = {
        "team_id": job.team_id,
        "job": job,
        "user_id": job.requested_by_id,
        "provider": job.provider,
    }
    if K.HOLD in entries and K.RELEASE not in entries:
        # A job that fell back to another provider releases the hold where it was placed.
        hold = entries[K.HOLD]
        CreditEntry.objects.create(
            **(common | {"provider": hold.provider}), kind=K.RELEASE, amount=-hold.amount
        )
    if status == JobStatus.SUCCEEDED and K.CHARGE not in entries and not is_free(job.provider):
        CreditEntry.objects.create(**common, kind=K.CHARGE, amount=charge_for(job))


def charge_for(job: RenderJob) -> Decimal:
    """What a finished render costs (see `cost`)."""
    return cost(job.provider, job.resolution, job.duration_seconds or 0.0, job.cost)


def cost(provider: str, resolution: str, seconds: float, reported: Decimal | None) -> Decimal:
    """What a render of `seconds` costs: nothing for a free draft, else the provider's own
    figure, else the price of its length."""
    if is_free(provider):
        return ZERO
    if reported is not None:
        return reported
    return price(provider, resolution, seconds)


def reported_cost(provider: str, reported: Decimal | None) -> Decimal | None:
    """The cost a provider reported, as the job keeps it: a free draft's is nothing, whatever
    the draft provider (which speaks Crun's contract, credits and all) says."""
    return ZERO if is_free(provider) else reported


def cost_text(job: RenderJob) -> str:
    """A job's cost as pages show it: "Free draft — $0.00", "$1.2345", or "-" before it is
    known."""
    if is_free(job.provider):
        return FREE_DRAFT
    return f"${job.cost:.4f}" if job.cost is not None else "-"


def needs_approval(job: RenderJob) -> bool:
    threshold = job.team.approval_threshold
    return threshold is not None and (job.estimated_cost or ZERO) > threshold


# --- money entered by people ------------------------------------------------------------------


def record(
    action: str,
    team: Team,
    actor: User | AnonymousUser | None,
    *,
    job: RenderJob | None = None,
    campaign: Campaign | None = None,
    amount: Decimal | None = None,
    detail: str = "",
) -> AuditEntry:
    return AuditEntry.objects.create(
        action=action,
        team=team,
        actor=actor if actor and actor.is_authenticated else None,
        job=job,
        campaign=campaign,
        amount=amount,
        detail=detail[:500],
    )
