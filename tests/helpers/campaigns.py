"""Campaigns in tests: a team's library for one, a list of people, and the campaign made
from them through the same flow as the studio and the command."""

from __future__ import annotations

import csv
import io
from decimal import Decimal
from typing import Any

from django.contrib.auth.models import User

from avatars.campaigns import importing
from avatars.models import Campaign, RenderJob, Team

SCRIPT = "Hi {{first_name}}, welcome to {{company|our team}}!"
PEOPLE = [
    ["First Name", "Company", "Email"],
    ["Priya", "Initech", "priya@example.com"],
    ["Lars", "Globex", "lars@example.com"],
    ["Ana", "", "ana@example.com"],
    ["Chen", "Hooli", "chen@example.com"],
    ["Sam", "Acme", "sam@example.com"],
]


def csv_of(rows: list[list[str]], *, delimiter: str = ",") -> bytes:
    out = io.StringIO()
    csv.writer(out, delimiter=delimiter, lineterminator="\r\n").writerows(rows)
    return out.getvalue().encode()


def plan(
    assets: Any,
    team: Team,
    rows: list[list[str]] | None = None,
    *,
    data: bytes | None = None,
    filename: str = "people.csv",
    script: str = SCRIPT,
    provider: str = "crun",
    cap: Decimal | None = None,
    name: str = "Welcome",
) -> importing.CampaignPlan:
    """A campaign checked but not written: a consenting avatar and a voice of the team
    speaking `script` to the people of `rows` (or of the file `data`)."""
    return importing.plan(
        team=team,
        name=name,
        avatar=assets.consenting_avatar(team, "Grace"),
        script=assets.script(team, "Welcome", script),
        voice=assets.voice(team),
        data=data if data is not None else csv_of(rows or PEOPLE),
        filename=filename,
        provider=provider,
        spending_cap=cap,
    )


def campaign(assets: Any, team: Team, user: User | None, *args: Any, **kwargs: Any) -> Campaign:
    """A campaign written, as its creator uploads it."""
    return importing.create(plan(assets, team, *args, **kwargs), user)


def jobs_of(campaign: Campaign) -> list[RenderJob]:
    return list(RenderJob.objects.filter(campaign_row__campaign=campaign).order_by("pk"))


def sent_texts(fake: Any) -> list[str]:
    """The text of every render the fake provider was asked for, in the order it was."""
    return [
        (task.payload.get("input") or task.payload).get("text", "") for task in fake.tasks.values()
    ]
