"""Campaign rows rendered and booked by hand, without a provider: for the admin's lists,
the credit reports and the review desk."""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Any

from django.contrib.auth.models import User
from django.utils import timezone

from avatars.models import Campaign, CampaignRow, RenderJob
from avatars.models.jobs import FINAL_STATUSES
from tests.helpers.credit_ledger import book

D = Decimal


def rows_of(campaign: Campaign) -> list[CampaignRow]:
    return list(campaign.rows.order_by("number"))


def rendered(
    row: CampaignRow,
    status: str = "succeeded",
    *,
    hold: str = "",
    charge: str = "",
    when: datetime.datetime | None = None,
    requested_by: User | None = None,
    **fields: Any,
) -> RenderJob:
    """The row's latest render, as the pipeline leaves it in `status`, and its ledger rows
    booked at `when`: a hold of `hold`, released once the render ended, and a `charge`."""
    campaign = row.campaign
    job = RenderJob.objects.create(
        team=campaign.team,
        avatar=campaign.avatar,
        script_revision=campaign.script_revision,
        voice=campaign.voice,
        text=row.text,
        variables=row.variables,
        provider=campaign.provider,
        status=status,
        campaign_row=row,
        requested_by=requested_by,
        estimated_cost=D(hold) if hold else None,
        **fields,
    )
    row.latest_job = job
    row.save(update_fields=["latest_job"])
    when = when or timezone.now()
    common = {"team": campaign.team, "job": job, "user": requested_by, "provider": job.provider}
    if hold:
        book(when, **common, kind="hold", amount=D(hold))
        if status in FINAL_STATUSES:
            book(when, **common, kind="release", amount=-D(hold))
    if charge:
        book(when, **common, kind="charge", amount=D(charge))
    return job


def copies(campaign: Campaign, count: int) -> list[Campaign]:
    """`count` more campaigns of the same team, library and people, named "<name> 2", …"""
    made = []
    rows = rows_of(campaign)
    for n in range(count):
        copy = Campaign.objects.create(
            team=campaign.team,
            name=f"{campaign.name} {n + 2}",
            avatar=campaign.avatar,
            script_revision=campaign.script_revision,
            voice=campaign.voice,
            provider=campaign.provider,
            created_by=campaign.created_by,
        )
        CampaignRow.objects.bulk_create(
            CampaignRow(
                campaign=copy,
                number=row.number,
                person=row.person,
                text=row.text,
                variables=row.variables,
                verdict=row.verdict,
                dedupe_key=row.dedupe_key,
                estimate=row.estimate,
            )
            for row in rows
        )
        made.append(copy)
    return made
