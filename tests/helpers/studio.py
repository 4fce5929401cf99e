"""Library rows and studio forms, as the studio and the review desk tests need them."""

from __future__ import annotations

import datetime
from typing import Any

from django.utils import timezone

from avatars.models import Avatar, JobStatus, RenderJob, Team


def consented(asset_factory: Any, team: Team, name: str = "Grace", **fields: Any) -> Avatar:
    """An avatar of `team` with consent on record for any use, valid for a year."""
    return asset_factory.avatar(
        team,
        name,
        consent_person=fields.pop("consent_person", f"{name} Person"),
        consent_scope="any",
        consent_expires=timezone.localdate() + datetime.timedelta(days=365),
        **fields,
    )


def add_jobs(avatar: Avatar, script: Any, voice: Any, count: int, **fields: Any) -> list[RenderJob]:
    """Rows as the pipeline leaves them, sharing one avatar, script and voice."""
    revision = script.revisions.latest("number")
    return [
        RenderJob.objects.create(
            team=avatar.team,
            avatar=avatar,
            script_revision=revision,
            voice=voice,
            text=revision.text,
            **{"status": JobStatus.SUCCEEDED, "provider": "sandbox", **fields},
        )
        for _ in range(count)
    ]


def render_form(library: Any, **changes: Any) -> dict[str, Any]:
    """The studio's render form for `library`'s avatar, script and voice, in the sandbox."""
    return {
        "team": library.avatar.team_id,
        "avatar": library.avatar.pk,
        "script": library.script.pk,
        "voice": library.voice.pk,
        "variables": "name=Ada",
        "resolution": "720p",
        "provider": "sandbox",
        **changes,
    }
