"""The credit reports: sums over the ledger, computed in the database.

The audit pages, their CSV exports (avatars/report_rows.py) and `manage.py credits_report`
all read through these functions, so a figure means the same everywhere. Nothing here
iterates ledger rows in Python: a report is a handful of aggregate queries and a listing is
a lazy queryset.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, TypeVar

from django.db.models import (
    Count,
    DecimalField,
    Exists,
    ExpressionWrapper,
    F,
    Model,
    OuterRef,
    Q,
    QuerySet,
    Sum,
)
from django.db.models.functions import Abs, Coalesce, Round
from django.utils import timezone

from avatars.credits import CENT, HOLD_KINDS, SPENT_KINDS, ZERO, free_renders, month_start
from avatars.models import AuditEntry, CreditEntry, JobStatus, RenderJob, Team

K = CreditEntry.Kind
M = TypeVar("M", bound=Model)
NEWEST_FIRST = ("-created_at", "-pk")  # the listings' order, which their indexes serve
# What a reported cost may differ from the estimate before reconciliation lists the job.
TOLERANCE_PERCENT = 10
MONEY = DecimalField(max_digits=14, decimal_places=4)

# Who a ledger row is spent for: the render's requester, or (for an entry about no render)
# whoever entered it, so that an admin's refund of Alice's render counts against Alice.
REQUESTER = Coalesce("job__requested_by__username", "user__username")


# --- periods ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Month:
    """A calendar month in the site's time zone, as [start, end)."""

    start: datetime.datetime

    @classmethod
    def parse(cls, text: str) -> Month:
        """`YYYY-MM` as a Month; ValueError when it is not one."""
        parsed = datetime.datetime.strptime(text, "%Y-%m")
        if not 2000 <= parsed.year <= 2999:
            raise ValueError(f"{text} is too far from now.")
        return cls(timezone.make_aware(parsed))

    @classmethod
    def current(cls) -> Month:
        return cls(month_start())

    @property
    def end(self) -> datetime.datetime:
        return self.shifted(1).start

    @property
    def label(self) -> str:
        return self.start.strftime("%Y-%m")

    @property
    def name(self) -> str:
        return self.start.strftime("%B %Y")

    def shifted(self, months: int) -> Month:
        index = self.start.year * 12 + self.start.month - 1 + months
        start = datetime.datetime(index // 12, index % 12 + 1, 1)
        return Month(timezone.make_aware(start, self.start.tzinfo))

    def __str__(self) -> str:
        return self.label


def money(value: Decimal | None) -> Decimal:
    """A sum at the ledger's precision (SQLite hands sums back as floats, 0.0800000000000001)."""
    return (value or ZERO).quantize(CENT)


def signed(amount: Decimal) -> str:
    """A ledger amount as the ledger lists show it: +1,234.5000, -0.2000."""
    return f"{amount:+,.4f}"


def _in_team(queryset: QuerySet, team: Team | None, path: str = "team") -> QuerySet:
    return queryset.filter(**{path: team}) if team else queryset


def _in_month(queryset: QuerySet, month: Month | None, path: str = "created_at") -> QuerySet:
    if month is None:
        return queryset
    return queryset.filter(**{f"{path}__gte": month.start, f"{path}__lt": month.end})


def _matching(
    queryset: QuerySet[M], team: Team | None, month: Month | None, **equal: str
) -> QuerySet[M]:
    """The rows of the team and month whose fields equal each value given (not "")."""
    chosen = {field: value for field, value in equal.items() if value}
    return _in_month(_in_team(queryset, team), month).filter(**chosen)


def _spent(month: Month, team: Team | None) -> QuerySet[CreditEntry]:
    return _in_month(_in_team(CreditEntry.objects.filter(kind__in=SPENT_KINDS), team), month)


# --- the month's figures ----------------------------------------------------------------------


@dataclass(frozen=True)
class Totals:
    charged: Decimal
    charges: int
    refunded: Decimal  # negative: money back to the teams
    refunds: int
    adjusted: Decimal
    adjustments: int
    rerenders: Decimal  # charges of renders that re-render another
    rerender_count: int

    @property
    def net(self) -> Decimal:
        return self.charged + self.refunded + self.adjusted


def totals(month: Month, team: Team | None = None) -> Totals:
    rerender = Q(kind=K.CHARGE, job__parent__isnull=False)
    sums = _spent(month, team).aggregate(
        charged=Sum("amount", filter=Q(kind=K.CHARGE)),
        charges=Count("pk", filter=Q(kind=K.CHARGE)),
        refunded=Sum("amount", filter=Q(kind=K.REFUND)),
        refunds=Count("pk", filter=Q(kind=K.REFUND)),
        adjusted=Sum("amount", filter=Q(kind=K.ADJUSTMENT)),
        adjustments=Count("pk", filter=Q(kind=K.ADJUSTMENT)),
        rerenders=Sum("amount", filter=rerender),
        rerender_count=Count("pk", filter=rerender),
    )
    return Totals(**_money_of(sums))


def _money_of(sums: dict[str, Any]) -> dict[str, Any]:
    return {k: v if isinstance(v, int) else money(v) for k, v in sums.items()}


@dataclass(frozen=True)
class Held:
    amount: Decimal
    count: int


def open_holds(team: Team | None = None) -> QuerySet[CreditEntry]:
    """Holds not yet released, whenever they were taken: the renders still in progress."""
    released = CreditEntry.objects.filter(job=OuterRef("job"), kind=K.RELEASE)
    return _in_team(CreditEntry.objects.filter(kind=K.HOLD).filter(~Exists(released)), team)


def held(team: Team | None = None) -> Held:
    sums = open_holds(team).aggregate(amount=Sum("amount"), count=Count("pk"))
    return Held(**_money_of(sums))


@dataclass(frozen=True)
class Failures:
    count: int  # renders that ended failed this month
    reported: int  # how many of them the provider reported a cost for
    lost: Decimal  # what the provider says those cost us; the teams were not charged
    estimated: Decimal  # what they were estimated at (and held for) when requested


def failed_renders(month: Month, team: Team | None = None) -> Failures:
    """Paid renders that failed in the month: a free draft that fails loses nothing."""
    jobs = (
        RenderJob.objects.filter(status=JobStatus.FAILED)
        .exclude(free_renders())
        .alias(ended=Coalesce("finished_at", "status_changed_at"))
    )
    sums = _in_month(_in_team(jobs, team), month, "ended").aggregate(
        count=Count("pk"),
        reported=Count("cost"),
        lost=Sum("cost"),
        estimated=Sum("estimated_cost"),
    )
    return Failures(**_money_of(sums))


def free_drafts(month: Month, team: Team | None = None) -> int:
    """How many free drafts were requested in the month. They move no money, so the ledger
    has no row for them; the overview and the summary count them instead."""
    return _in_month(_in_team(RenderJob.objects.filter(free_renders()), team), month).count()


# --- breakdowns -------------------------------------------------------------------------------

# Each breakdown groups the month's spend (charges, refunds, adjustments) by a key and names
# it with a label; `link` is the ledger filter that lists the rows behind a line.
BREAKDOWNS: dict[str, dict[str, Any]] = {
    "team": {"key": F("team__slug"), "label": F("team__name"), "link": "team"},
    "user": {"key": REQUESTER, "label": REQUESTER, "link": "user"},
    "avatar": {"key": F("job__avatar"), "label": F("job__avatar__name"), "link": None},
    "provider": {"key": F("provider"), "label": F("provider"), "link": "provider"},
}
NO_LABEL = {
    "team": "",
    "user": "(nobody)",
    "avatar": "(no render)",
    "provider": "(none)",
}


def spend_by(dimension: str, month: Month, team: Team | None = None) -> QuerySet:
    """Rows of {key, label, amount, entries}, biggest spend first."""
    spec = BREAKDOWNS[dimension]
    return (
        _spent(month, team)
        .annotate(key=spec["key"], label=spec["label"])
        .values("key", "label")
        .annotate(amount=Sum("amount"), entries=Count("pk"))
        .order_by("-amount", "label")
    )


def spend_by_month(last: Month, team: Team | None = None, months: int = 12) -> list[dict]:
    """Spend of each of `months` months ending with `last`, oldest first, empty months as 0."""
    first = last.shifted(1 - months)
    entries = CreditEntry.objects.filter(
        kind__in=SPENT_KINDS, created_at__gte=first.start, created_at__lt=last.end
    )
    # One pass with a filtered sum per month: truncating every row's date (which SQLite does
    # in Python) is what made this the slowest part of the page on a large ledger.
    periods = [first.shifted(offset) for offset in range(months)]
    within = [Q(created_at__gte=m.start, created_at__lt=m.end) for m in periods]
    sums = _in_team(entries, team).aggregate(
        **{f"amount_{i}": Sum("amount", filter=q) for i, q in enumerate(within)},
        **{f"entries_{i}": Count("pk", filter=q) for i, q in enumerate(within)},
    )
    series = []
    for i, month in enumerate(periods):
        series.append(
            {
                "key": month.label,
                "label": month.start.strftime("%b %Y"),
                "amount": money(sums[f"amount_{i}"]),
                "entries": sums[f"entries_{i}"],
            }
        )
    return series


# --- campaigns --------------------------------------------------------------------------------

CAMPAIGN = "job__campaign_row__campaign"


def spend_by_campaign(*, team: Team | None = None, month: Month | None = None) -> QuerySet:
    """Rows of {campaign_id, campaign, team, team_slug, renders, charges, charged, refunded,
    adjusted, net, held}, biggest net spend first: the ledger rows of each campaign's renders.

    `renders` counts the renders held for (each paid render is held once), the money is
    booked in `month` (or ever), and `held` is what is still held, whenever it was taken, as
    on the overview; a campaign that booked nothing in the month is left out.
    """
    within = Q(created_at__gte=month.start, created_at__lt=month.end) if month else Q()
    entries = _in_team(CreditEntry.objects.filter(**{f"{CAMPAIGN}__isnull": False}), team)

    def sum_of(kind: str) -> Coalesce:
        return Coalesce(Sum("amount", filter=within & Q(kind=kind)), ZERO, output_field=MONEY)

    rows = (
        entries.values(
            campaign_id=F(CAMPAIGN),
            campaign=F(f"{CAMPAIGN}__name"),
            team_name=F("team__name"),
            team_slug=F("team__slug"),
        )
        .annotate(
            renders=Count("pk", filter=within & Q(kind=K.HOLD)),
            charges=Count("pk", filter=within & Q(kind=K.CHARGE)),
            booked=Count("pk", filter=within),
            charged=sum_of(K.CHARGE),
            refunded=sum_of(K.REFUND),
            adjusted=sum_of(K.ADJUSTMENT),
            held=Coalesce(Sum("amount", filter=Q(kind__in=HOLD_KINDS)), ZERO, output_field=MONEY),
        )
        .annotate(net=F("charged") + F("refunded") + F("adjusted"))
    )
    if month:
        rows = rows.filter(booked__gt=0)
    return rows.order_by("-net", "campaign", "campaign_id")


# --- listings ---------------------------------------------------------------------------------


def ledger(
    *,
    team: Team | None = None,
    month: Month | None = None,
    kind: str = "",
    provider: str = "",
    user: str = "",
) -> QuerySet[CreditEntry]:
    """Ledger rows, newest first, each with `requester` (see REQUESTER)."""
    entries = _matching(CreditEntry.objects.all(), team, month, kind=kind, provider=provider)
    entries = entries.annotate(requester=REQUESTER)
    if user:
        entries = entries.filter(requester=user)
    return entries.order_by(*NEWEST_FIRST)


def reconciliation(*, team: Team | None = None, month: Month | None = None) -> QuerySet[RenderJob]:
    """Paid renders whose provider-reported cost differs from their estimate by over 10 %
    (a free draft costs nothing whatever was estimated or reported)."""
    difference = ExpressionWrapper(F("cost") - F("estimated_cost"), output_field=MONEY)
    # SQLite keeps decimals as floats, where 1.10 - 1.00 > 0.10; comparing whole
    # ten-thousandths of a dollar keeps the 10 % boundary exact on every database.
    gap = Round(Abs(difference) * 10000) * 100
    allowed = Round(F("estimated_cost") * 10000) * TOLERANCE_PERCENT
    jobs = RenderJob.objects.filter(cost__isnull=False, estimated_cost__isnull=False).exclude(
        free_renders()
    )
    return (
        _in_month(_in_team(jobs, team), month)
        .annotate(difference=difference)
        .alias(gap=gap, allowed=allowed)
        .filter(gap__gt=F("allowed"))
        .order_by(*NEWEST_FIRST)
    )


def audit_log(
    *, team: Team | None = None, month: Month | None = None, action: str = "", actor: str = ""
) -> QuerySet[AuditEntry]:
    chosen = {"action": action, "actor__username": actor}
    return _matching(AuditEntry.objects.all(), team, month, **chosen).order_by(*NEWEST_FIRST)


# --- the monthly summary ----------------------------------------------------------------------


def summary(month: Month, team: Team | None = None) -> QuerySet:
    """The month's ledger grouped by team × user × provider × kind."""
    entries = _in_month(_in_team(CreditEntry.objects.all(), team), month)
    return (
        entries.annotate(team_slug=F("team__slug"), team_name=F("team__name"), who=REQUESTER)
        .values("team_slug", "team_name", "who", "provider", "kind")
        .annotate(entries=Count("pk"), amount=Sum("amount"))
        .order_by("team_slug", "who", "provider", "kind")
    )


def summary_totals(month: Month, team: Team | None = None) -> list[tuple[str, int, Decimal]]:
    """The summary's total lines as (name, entries, amount).

    One per kind over the month, then `net_spend` (charges + refunds + adjustments),
    `rerender_charges`, `open_holds` (all holds not yet released, whenever taken),
    `failed_render_cost` (the cost providers reported for renders that failed this month;
    entries = failed renders), `failed_render_estimates` and `free_drafts` (free drafts
    requested this month, which have no ledger rows; amount always 0).
    """
    by_kind = {
        row["kind"]: row
        for row in _in_month(_in_team(CreditEntry.objects.all(), team), month)
        .values("kind")
        .annotate(entries=Count("pk"), amount=Sum("amount"))
        .order_by()
    }
    figures = totals(month, team)
    holds = held(team)
    failures = failed_renders(month, team)
    lines: list[tuple[str, int, Decimal]] = [
        (kind, by_kind.get(kind, {}).get("entries", 0), money(by_kind.get(kind, {}).get("amount")))
        for kind in K.values
    ]
    return [
        *lines,
        ("net_spend", figures.charges + figures.refunds + figures.adjustments, figures.net),
        ("rerender_charges", figures.rerender_count, figures.rerenders),
        ("open_holds", holds.count, holds.amount),
        ("failed_render_cost", failures.count, failures.lost),
        ("failed_render_estimates", failures.count, failures.estimated),
        ("free_drafts", free_drafts(month, team), ZERO),
    ]


def percent(difference: Decimal, estimate: Decimal | None) -> str:
    """How far a reported cost is from its estimate, in percent to one decimal."""
    if not estimate:
        return ""
    return str((difference * 100 / estimate).quantize(Decimal("0.1")))
