"""Render jobs in tests: requesting one, waiting for it, and reading its timeline."""

from __future__ import annotations

import datetime
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.utils import timezone

from avatars import render
from avatars.models import JobEvent, JobStatus, RenderJob, Team
from tests.conftest import stored_files

S = JobStatus
# Every move a job's status may make, as avatars/render/ makes them: forward, or back to
# "queued" when a submit is tried again (later, or at the next provider).
LEGAL_MOVES: dict[str | None, set[str]] = {
    None: {S.QUEUED, S.AWAITING_APPROVAL, S.DRAFT},
    S.DRAFT: {S.QUEUED, S.CANCELED},
    S.AWAITING_APPROVAL: {S.QUEUED, S.CANCELED},
    S.QUEUED: {S.SUBMITTING, S.FAILED, S.CANCELED},
    S.SUBMITTING: {S.SUBMITTED, S.QUEUED, S.FAILED, S.CANCELED},
    S.SUBMITTED: {S.PROCESSING, S.STORING, S.QUEUED, S.FAILED, S.CANCELED},
    S.PROCESSING: {S.STORING, S.QUEUED, S.FAILED, S.CANCELED},
    S.STORING: {S.SUCCEEDED, S.FAILED, S.CANCELED},
}


def render_request(
    assets: Any,
    team: Team,
    *,
    provider: str,
    user: AbstractBaseUser | None = None,
    clip: bool = False,
    **options: Any,
) -> render.RenderRequest:
    """What a marketer asks for: a consented avatar speaking a script (or a 1 s clip)."""
    avatar = assets.avatar(
        team,
        "Speaker",
        consent_person="A. Person",
        consent_scope="any",
        consent_expires=timezone.localdate() + datetime.timedelta(days=90),
    )
    if clip:
        speech = {"audio_clip": assets.clip(team)}
    else:
        speech = {
            "script": assets.script(team, "Hello", "Hello {{name}}, this is a test render."),
            "voice": assets.voice(team),
            "variables": {"name": "Ada"},
        }
    return render.RenderRequest(
        team=team, user=user, avatar=avatar, provider=provider, **speech, **options
    )


def request_speech(assets: Any, team: Team, *, provider: str, **options: Any) -> RenderJob:
    """Queue a script render of a consented avatar, like a marketer would."""
    return render.request_render(render_request(assets, team, provider=provider, **options))


def request_speeches(assets: Any, team: Team, count: int, *, provider: str) -> list[RenderJob]:
    """`count` renders of the same speech, queued in one transaction: their submit messages
    go out together, at its commit."""
    first = request_speech(assets, team, provider=provider)
    again = render.RenderRequest(
        team=team,
        user=None,
        avatar=first.avatar,
        script=first.script_revision.script,
        voice=first.voice,
        variables=first.variables,
        provider=provider,
    )
    with transaction.atomic():
        return [first] + [render.request_render(again) for _ in range(count - 1)]


def wait_for(
    job: RenderJob, done: Callable[[RenderJob], bool] | None = None, timeout: float = 60.0
) -> RenderJob:
    """Reload the job until it is final (or `done` says so); fail with its timeline if not."""
    done = done or (lambda j: j.is_final)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        job.refresh_from_db()
        if done(job):
            return job
        time.sleep(0.1)
    timeline = "\n".join(
        f"{e.created_at:%H:%M:%S.%f} {e.actor}: {e.from_status}->{e.to_status} {e.message}"
        for e in job.events.all()
    )
    raise AssertionError(f"job {job.pk} is still {job.status} after {timeout} s:\n{timeline}")


def status_events(job: RenderJob) -> list[JobEvent]:
    return list(job.events.filter(kind="status").order_by("created_at", "pk"))


def status_path(job: RenderJob) -> list[str]:
    return [event.to_status for event in status_events(job)]


def assert_legal_path(job: RenderJob) -> None:
    """Each status change of the job is one avatars/render/ may make, and none repeats a
    step it must take once (a second "storing" would mean a second download)."""
    path = status_path(job)
    for before, after in zip([None, *path], path, strict=False):
        assert after in LEGAL_MOVES.get(before, set()), f"{before} -> {after} in {path}"
    assert path.count(S.STORING) <= 1, path


def callbacks(job: RenderJob) -> list[JobEvent]:
    return list(job.events.filter(kind="callback").order_by("created_at", "pk"))


def notes(job: RenderJob) -> list[str]:
    return list(job.events.filter(kind="note").values_list("message", flat=True))


def renders(media_root: Path) -> list[Path]:
    """Every file stored under renders/: a job's video, poster and captions."""
    return stored_files(media_root / "renders")
