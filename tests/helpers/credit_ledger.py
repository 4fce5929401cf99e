"""A month of ledger rows written by hand, for the credit pages and reports."""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from decimal import Decimal
from typing import Any
from unittest import mock

from django.contrib.auth.models import User

from avatars.models import CreditEntry, RenderJob, Team

D = Decimal
# Each team's renders go to a paid provider: a free draft has no ledger rows.
PROVIDERS = {"acme": "crun", "globex": "replicate"}
NOV = datetime.datetime(2025, 11, 10, 12, 0, tzinfo=datetime.UTC)
OCT = datetime.datetime(2025, 10, 20, 12, 0, tzinfo=datetime.UTC)


def book(when: datetime.datetime, **fields: object) -> CreditEntry:
    """A ledger row written at `when` (created_at is set by the database layer)."""
    with mock.patch("django.utils.timezone.now", return_value=when):
        return CreditEntry.objects.create(**fields)


def settled(job: RenderJob, when: datetime.datetime, estimate: str, charge: str = "") -> None:
    common = {"team": job.team, "job": job, "user": job.requested_by}
    provider = PROVIDERS[job.team.slug]
    book(when, **common, provider=provider, kind="hold", amount=D(estimate))
    if job.status in ("succeeded", "failed", "canceled"):
        book(when, **common, provider=provider, kind="release", amount=-D(estimate))
    if charge:
        book(when, **common, provider=provider, kind="charge", amount=D(charge))


@dataclass
class Ledger:
    first: RenderJob
    failed: RenderJob
    rerender: RenderJob
    in_progress: RenderJob
    draft: RenderJob


def build_ledger(
    assets: Any, acme: Team, globex: Team, alice: User, bob: User, charlie: User, root: User
) -> Ledger:
    """November 2025 by hand, with October and another team around it.

    Acme (provider crun): a success held 0.20, released, charged 0.18; a failure held 0.30,
    released, with 0.05 reported by the provider; a re-render of the first charged 0.40; a
    refund of −1.00 of the first and an adjustment of +0.50 entered by root; a render in
    progress holding 0.70; a 2.00 charge in October; and a free draft in November, with no
    ledger rows. Globex (provider replicate): a 0.60 charge in November, a 0.10 hold open
    since October and a failure in October.
    """
    ada, bea = assets.avatar(acme, "Ada"), assets.avatar(acme, "Bea")
    gia = assets.avatar(globex, "Gia")

    def job(team: Team, status: str, **fields: Any) -> RenderJob:
        return assets.job(team, status, provider=PROVIDERS[team.slug], **fields)

    first = job(acme, "succeeded", avatar=ada, requested_by=alice, estimated_cost=D("0.20"))
    settled(first, NOV, "0.20", "0.18")
    failed = job(
        acme,
        "failed",
        avatar=bea,
        requested_by=alice,
        estimated_cost=D("0.30"),
        cost=D("0.05"),
        finished_at=NOV,
    )
    settled(failed, NOV, "0.30")
    rerender = job(
        acme, "succeeded", avatar=ada, requested_by=bob, parent=first, estimated_cost=D("0.40")
    )
    settled(rerender, NOV, "0.40", "0.40")
    book(NOV, team=acme, job=first, user=root, provider="crun", kind="refund", amount=D("-1.00"))
    book(NOV, team=acme, user=root, kind="adjustment", amount=D("0.50"), reason="=goodwill")
    in_progress = job(acme, "processing", avatar=bea, requested_by=alice)
    settled(in_progress, NOV, "0.70")
    settled(job(acme, "succeeded", avatar=ada, requested_by=alice), OCT, "2.00", "2.00")

    settled(job(globex, "succeeded", avatar=gia, requested_by=charlie), NOV, "0.60", "0.60")
    settled(job(globex, "processing", avatar=gia, requested_by=charlie), OCT, "0.10")
    old_failure = job(
        globex, "failed", avatar=gia, requested_by=charlie, cost=D("0.09"), finished_at=OCT
    )
    settled(old_failure, OCT, "0.15")
    with mock.patch("django.utils.timezone.now", return_value=NOV):
        draft = assets.job(
            acme,
            "succeeded",
            avatar=ada,
            requested_by=alice,
            provider="sandbox",
            is_draft=True,
            estimated_cost=D(0),
            cost=D(0),
        )
    return Ledger(first, failed, rerender, in_progress, draft)
