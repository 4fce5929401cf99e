"""The review desk's flows: decisions on finished videos, comments, versions, share links and
the notifications that tell people about them."""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.db import transaction
from django.db.models import F, QuerySet, Value
from django.db.models.functions import Coalesce
from django.utils import timezone

from avatars import access, catalog, credits
from avatars.models import (
    AuditEntry,
    JobComment,
    JobEvent,
    JobStatus,
    Notification,
    RenderJob,
    ReviewStatus,
    ShareLink,
)
from avatars.outgoing import announce

if TYPE_CHECKING:
    from django.contrib.auth.models import User

DECISIONS: dict[str, str] = {
    ReviewStatus.APPROVED: "approved",
    ReviewStatus.REJECTED: "rejected",
    ReviewStatus.CHANGES_REQUESTED: "asked for changes to",
}
AUDITED: dict[str, str] = {
    ReviewStatus.APPROVED: AuditEntry.Action.VIDEO_APPROVED,
    ReviewStatus.REJECTED: AuditEntry.Action.VIDEO_REJECTED,
    ReviewStatus.CHANGES_REQUESTED: AuditEntry.Action.CHANGES_REQUESTED,
}
SHARE_DAYS_MAX = 90


class ReviewError(Exception):
    pass


def decision_problems(decision: str, comment: str) -> dict[str, str]:
    """What is wrong with a decision as posted, by the form field it is about; {} if none."""
    if decision not in DECISIONS:
        return {"decision": "Unknown review decision."}
    if decision != ReviewStatus.APPROVED and not comment.strip():
        return {"comment": "Say what should change, or why it is rejected."}
    return {}


def decide(job: RenderJob, user: User, decision: str, comment: str = "") -> None:
    """Approve, reject or ask for changes to a finished video, with an optional comment;
    in its timeline and the audit log.

    `decision` is a ReviewStatus value as posted; any other raises ReviewError.
    """
    if problems := decision_problems(decision, comment):
        raise ReviewError(" ".join(problems.values()))
    said = comment.strip()
    with transaction.atomic():
        updated = RenderJob.objects.filter(pk=job.pk, status=JobStatus.SUCCEEDED).update(
            review=decision, reviewed_by=user, reviewed_at=timezone.now()
        )
        if not updated:
            raise ReviewError("Only a finished video can be reviewed.")
        if said:
            JobComment.objects.create(job=job, author=user, body=said)
        JobEvent.objects.create(
            job=job,
            kind=JobEvent.Kind.ACTION,
            actor=user.get_username(),
            user=user,
            message=f"Review: {ReviewStatus(decision).label}." + (f" “{said}”" if said else ""),
        )
        what = f"Render #{job.pk} of {job.avatar}"
        credits.record(
            AUDITED[decision], job.team, user, job=job, detail=f"{what}: {said}" if said else what
        )
        if job.requested_by_id and job.requested_by_id != user.pk:
            notify(
                job.requested_by_id,
                job,
                Notification.Kind.REVIEWED,
                f"{user.get_username()} {DECISIONS[decision]} render #{job.pk} of {job.avatar}.",
            )
        announce.render_decided(job, str(decision), "video", said)
    job.refresh_from_db()


def add_comment(job: RenderJob, user: User, body: str) -> JobComment:
    if not body.strip():
        raise ReviewError("A comment needs some text.")
    return JobComment.objects.create(job=job, author=user, body=body.strip()[:2000])


# --- versions -------------------------------------------------------------------------------


def versions(job: RenderJob) -> QuerySet[RenderJob]:
    """Every render of the same video, oldest first."""
    root = job.lineage_id
    return RenderJob.objects.filter(pk=root) | RenderJob.objects.filter(root_id=root)


def approved_version(root_id: int) -> RenderJob | None:
    """The version a stable link serves: the most recently approved one."""
    lineage = RenderJob.objects.filter(pk=root_id) | RenderJob.objects.filter(root_id=root_id)
    return (
        lineage.filter(review=ReviewStatus.APPROVED, status=JobStatus.SUCCEEDED)
        .order_by("-reviewed_at", "-pk")
        .first()
    )


@dataclass(frozen=True)
class Difference:
    label: str
    before: str
    after: str


def _inputs(job: RenderJob) -> dict[str, str]:
    revision, voice = job.script_revision, job.voice
    return {
        "Avatar": str(job.avatar),
        "Script": f"{revision.script} (revision {revision.number})" if revision else "-",
        "Text": job.text or "-",
        "Voice": f"{voice} · {voice.provider_voice}" if voice else "-",
        "Language": catalog.LANGUAGES[revision.language].label if revision else "-",
        "Audio clip": str(job.audio_clip) if job.audio_clip_id else "-",
        "Resolution": job.resolution,
        "Seed": str(job.seed) if job.seed is not None else "random",
        "Video prompt": job.video_prompt or catalog.DEFAULT_VIDEO_PROMPT,
        "Provider": job.provider,
    }


def differences(before: RenderJob, after: RenderJob) -> list[Difference]:
    old, new = _inputs(before), _inputs(after)
    return [Difference(label, old[label], new[label]) for label in old if old[label] != new[label]]


# --- share links ----------------------------------------------------------------------------


def share(job: RenderJob, user: User, days: int) -> ShareLink:
    if job.review != ReviewStatus.APPROVED or job.status != JobStatus.SUCCEEDED:
        raise ReviewError("Only an approved video can be shared.")
    if not 1 <= days <= SHARE_DAYS_MAX:
        raise ReviewError(f"A share link lasts between 1 and {SHARE_DAYS_MAX} days.")
    with transaction.atomic():
        link = ShareLink.objects.create(
            job=job, created_by=user, expires_at=timezone.now() + datetime.timedelta(days=days)
        )
        JobEvent.objects.create(
            job=job,
            kind=JobEvent.Kind.ACTION,
            actor=user.get_username(),
            user=user,
            message=f"Shared with a link that expires on {_day(link.expires_at)}.",
        )
        credits.record(
            AuditEntry.Action.SHARE_CREATED,
            job.team,
            user,
            job=job,
            detail=f"Render #{job.pk}: link #{link.pk}, expires {_day(link.expires_at)}",
        )
    return link


def _day(moment: datetime.datetime) -> str:
    return f"{timezone.localtime(moment):%-d %b %Y}"


def revoke(link: ShareLink, user: User) -> bool:
    with transaction.atomic():
        revoked = ShareLink.objects.filter(pk=link.pk, revoked_at=None).update(
            revoked_at=timezone.now(), revoked_by=user
        )
        if revoked:
            JobEvent.objects.create(
                job_id=link.job_id,
                kind=JobEvent.Kind.ACTION,
                actor=user.get_username(),
                user=user,
                message="Revoked a share link.",
            )
            credits.record(
                AuditEntry.Action.SHARE_REVOKED,
                link.job.team,
                user,
                job=link.job,
                detail=f"Render #{link.job_id}: link #{link.pk}",
            )
    return bool(revoked)


def live_share(token: str) -> ShareLink | None:
    """The share link of `token` while it works, with what its page shows of the job."""
    links = ShareLink.objects.select_related(
        "job", "job__audio_clip", "job__script_revision__script"
    )
    return _if_live(links.filter(token=token).first())


def count_view(link: ShareLink) -> None:
    """One more view of the link's page: when it was first and last opened, and how often."""
    now = timezone.now()
    ShareLink.objects.filter(pk=link.pk).update(
        views=F("views") + 1,
        first_viewed_at=Coalesce("first_viewed_at", Value(now)),
        last_viewed_at=now,
    )


def live_share_by_id(pk: int) -> ShareLink | None:
    """The share link a media link was handed out under, while it still works."""
    return _if_live(ShareLink.objects.select_related("job").filter(pk=pk).first())


def _if_live(link: ShareLink | None) -> ShareLink | None:
    if link is None or not link.is_live or link.job.review != ReviewStatus.APPROVED:
        return None
    return link


# --- notifications --------------------------------------------------------------------------


def notify(user_id: int, job: RenderJob, kind: str, message: str) -> None:
    Notification.objects.create(user_id=user_id, job=job, kind=kind, message=message[:300])


def notify_finished(job_id: int, status: str) -> None:
    """Tell the person who asked for a render that it is done (called as the job ends)."""
    job = RenderJob.objects.select_related("avatar").get(pk=job_id)
    if job.requested_by_id is None or status == JobStatus.CANCELED:
        return
    if status == JobStatus.SUCCEEDED:
        notify(
            job.requested_by_id,
            job,
            Notification.Kind.SUCCEEDED,
            f"Render #{job.pk} of {job.avatar} is ready to watch.",
        )
    else:
        notify(
            job.requested_by_id,
            job,
            Notification.Kind.FAILED,
            f"Render #{job.pk} of {job.avatar} failed: {job.error_message}",
        )


def notify_approvers(job: RenderJob) -> None:
    for editor_id in access.approvers(job).values_list("pk", flat=True):
        notify(
            editor_id,
            job,
            Notification.Kind.APPROVAL,
            f"Render #{job.pk} of {job.avatar} needs your approval.",
        )


def unread_count(user: User) -> int:
    return Notification.objects.filter(user=user, read_at=None).count()
