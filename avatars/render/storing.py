"""Copying a finished video into our storage, with its poster and captions."""

from __future__ import annotations

import datetime
import errno
import logging
import shutil
import tempfile
from pathlib import Path, PurePosixPath

from django.conf import settings
from django.core.files import File
from django.core.files.base import ContentFile
from django.db import models
from django.db.models import F

from avatars import captions, credits, fetch, video
from avatars.models import JobEvent, RenderJob
from avatars.providers import base, get_provider
from avatars.providers.ratelimit import Throttled
from avatars.render.states import S, fail, note, send, transition

log = logging.getLogger("avatars.render")

SCRATCH_IDLE_SECONDS = 600


def store(job_id: int) -> None:
    """Copy the provider's video into our storage, check it and finish the job."""
    job = RenderJob.objects.filter(pk=job_id, status=S.STORING).first()
    if job is None:
        return
    with tempfile.TemporaryDirectory(prefix=f"render-{job_id}-", dir=scratch_root()) as scratch:
        try:
            downloaded = fetch.download(
                job.result_url,
                Path(scratch),
                max_bytes=settings.RESULT_MAX_BYTES,
                allow_private=settings.FETCH_ALLOW_PRIVATE,
                # Our key where the provider serves the video itself: never stored, and sent
                # to nobody but the provider.
                headers=get_provider(job.provider).result_headers(job.result_url),
            )
            info = video.probe_video(downloaded.path)
            poster = video.poster_jpeg(downloaded.path)
        except fetch.FetchFailed as error:
            _download_failed(job, error)
            return
        except fetch.FetchGone as error:
            renew_link(job, str(error))
            return
        except fetch.FetchRefused as error:
            fail(job, f"The provider's video link was refused: {error}", "storage", "refused")
            return
        except video.NotAVideo as error:
            message = f"The provider sent back something that is not a video: {error}"
            fail(job, message, "storage", "not_a_video")
            return
        except OSError as error:
            _not_stored(job, error)
            return
        try:
            _finish(job, downloaded.path, info, poster)
        except OSError as error:
            _not_stored(job, error)
            return
    # Parts of an earlier try that was killed while saving.
    _remove_unreferenced(job)


def _not_stored(job: RenderJob, error: OSError) -> None:
    """Our own storage refused the video (full, most likely): keep no part of it."""
    _remove_unreferenced(job)
    full = error.errno in (errno.ENOSPC, errno.EDQUOT)
    reason = "our video storage is full" if full else f"our video storage failed ({error})"
    message = (
        f"The finished video could not be kept: {reason}. An administrator needs to free or "
        "fix the storage; then render it again. This render was not charged."
    )
    fail(job, message, "storage", "storage_full" if full else "storage_error")


def _remove_unreferenced(job: RenderJob) -> None:
    """Delete the files in the job's result folder that its row does not point at."""
    file_fields = [
        f.name for f in RenderJob._meta.concrete_fields if isinstance(f, models.FileField)
    ]
    keep = set(RenderJob.objects.filter(pk=job.pk).values_list(*file_fields).first() or ())
    storage = job.video.storage
    folder = str(PurePosixPath(job.video.field.generate_filename(job, "x")).parent)
    try:
        names = storage.listdir(folder)[1]
    except FileNotFoundError:
        return
    for name in names:
        if f"{folder}/{name}" not in keep:
            storage.delete(f"{folder}/{name}")


def scratch_root() -> Path:
    root = Path(settings.RESULT_SCRATCH_DIR)
    root.mkdir(parents=True, exist_ok=True)
    return root


def sweep_scratch(now: datetime.datetime) -> int:
    """Remove downloads that a killed worker left behind: nothing has written to them for
    longer than any live download may pause (its read timeout)."""
    idle_since = now.timestamp() - SCRATCH_IDLE_SECONDS
    removed = 0
    for folder in scratch_root().glob("render-*"):
        touched = [p.stat().st_mtime for p in (folder, *folder.rglob("*"))]
        if max(touched) < idle_since:
            shutil.rmtree(folder, ignore_errors=True)
            removed += 1
    return removed


def _download_failed(job: RenderJob, error: fetch.FetchFailed) -> None:
    RenderJob.objects.filter(pk=job.pk).update(store_attempts=F("store_attempts") + 1)
    attempts = job.store_attempts + 1
    if attempts >= settings.STORE_MAX_ATTEMPTS:
        message = f"The video could not be downloaded from the provider: {error}"
        fail(job, message, "storage", "download_failed")
        return
    delay = error.retry_after or min(60.0, 5.0 * 2**attempts)
    note(
        job.pk, "storage", f"Could not download the video yet ({error}); next try in {delay:.0f} s."
    )
    send("store_job", job.pk, delay=delay)


def renew_link(job: RenderJob, why: str) -> None:
    """Ask the provider once for a fresh link to a finished video whose link has expired
    (`why` says how we know), and copy from it; fail the job when there is none."""
    current = RenderJob.objects.filter(pk=job.pk, status=S.STORING).first()
    if current is None:
        return  # finished or canceled meanwhile
    job = current
    expired = "The provider's link to the video expired before we could copy it"
    if job.events.filter(kind=JobEvent.Kind.NOTE, data__fresh_link=True).exists():
        message = f"{expired}, and so did the fresh link it gave. Render it again."
        fail(job, message, "storage", "expired")
        return
    try:
        state = get_provider(job.provider).fetch(job.provider_task_id)
    except Throttled as throttled:
        send("store_job", job.pk, delay=throttled.retry_after)
        return
    except base.ProviderError as problem:
        if problem.retryable:
            _download_failed(job, fetch.FetchFailed(f"{why} {problem.message}"))
        else:
            message = f"{expired}, and asking for a fresh link failed: {problem.message}"
            fail(job, message, "storage", "expired")
        return
    alive = state.status == base.TaskStatus.SUCCEEDED and not state.link_expired()
    fresh = state.video_url if alive else ""
    if not fresh or fresh == job.result_url:
        message = f"{expired}, and the provider has no fresh link to it. Render it again."
        fail(job, message, "storage", "expired")
    elif RenderJob.objects.filter(pk=job.pk, status=S.STORING).update(result_url=fresh):
        note(job.pk, "storage", f"{why} Copying from a fresh link.", fresh_link=True)
        send("store_job", job.pk)


def _finish(job: RenderJob, path: Path, info: video.VideoInfo, poster: bytes) -> None:
    with path.open("rb") as handle:
        job.video.save("video.mp4", File(handle), save=False)
    job.poster.save("poster.jpg", ContentFile(poster), save=False)
    try:
        subtitles = captions.for_job(job, info.duration)
    except Exception:
        # Captions are a courtesy: a fault in them must never lose a video that was paid for.
        log.exception("could not make captions for job %s", job.pk)
        subtitles = ""
    if subtitles:
        job.captions.save("captions.vtt", ContentFile(subtitles.encode()), save=False)
    cost = credits.cost(job.provider, job.resolution, info.duration, job.cost)
    done = transition(
        job.pk,
        S.SUCCEEDED,
        allowed_from=[S.STORING],
        actor="storage",
        message=f"Stored a {info.duration:.1f} s {info.width}×{info.height} video.",
        video=job.video.name,
        poster=job.poster.name,
        captions=job.captions.name,
        duration_seconds=info.duration,
        width=info.width,
        height=info.height,
        cost=cost,
    )
    if not done:
        # Another worker finished first or the job was canceled meanwhile: keep nothing.
        for file in (job.video, job.poster, job.captions):
            if file.name:
                file.storage.delete(file.name)
