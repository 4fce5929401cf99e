"""Consent on record: recording changes to it, acting on its withdrawal, reminding before it
ends, and what to warn about when a portrait comes in."""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.db import IntegrityError, transaction
from django.utils import timezone

from avatars import access, credits, review
from avatars import render as rendering
from avatars.models import (
    Avatar,
    ConsentReminder,
    ConsentStatus,
    Notification,
    RenderJob,
    ShareLink,
)
from avatars.models.jobs import ACTIVE_STATUSES

if TYPE_CHECKING:
    from django.contrib.auth.models import User

# Days before consent ends that the team's Editors are reminded, each once.
REMINDER_DAYS = (30, 7)
# The consent fields, as the audit log names a change of them.
LABELS = {
    "consent_person": "person portrayed",
    "consent_scope": "scope",
    "consent_expires": "expiry",
    "consent_reference": "reference",
    "consent_document": "signed release",
}


def _count(number: int, thing: str) -> str:
    return f"{number} {thing}{'' if number == 1 else 's'}"


def record_change(avatar: Avatar, user: User | None, changed: list[str]) -> None:
    """Put a change of the avatar's consent (the names of the fields changed) in the audit log."""
    fields = [name for name in changed if name in LABELS]
    if not fields:
        return
    labels = ", ".join(LABELS[name] for name in fields)
    credits.record(
        credits.AuditEntry.Action.CONSENT_CHANGED,
        avatar.team,
        user,
        detail=f"{avatar} (avatar #{avatar.pk}): {labels}. Now: {avatar.consent_summary()}.",
    )


@dataclass(frozen=True)
class Withdrawal:
    canceled: int
    revoked: int

    @property
    def summary(self) -> str:
        """ "Canceled 2 pending renders, revoked 3 share links." """
        return (
            f"Canceled {_count(self.canceled, 'pending render')}, "
            f"revoked {_count(self.revoked, 'share link')}."
        )


def withdraw(avatar: Avatar, user: User) -> Withdrawal:
    """The person portrayed withdrew their consent: nothing renders them from now on, their
    renders not yet finished are canceled and every live share link of their videos revoked.

    The withdrawal is committed first, so that a render requested meanwhile is refused (or,
    queued just before, canceled when it comes up to be sent). Safe to run again: a second
    run cancels and revokes whatever is left.
    """
    now = timezone.now()
    Avatar.objects.filter(pk=avatar.pk, consent_withdrawn_at=None).update(
        consent_withdrawn_at=now, consent_withdrawn_by=user, updated_at=now
    )
    avatar.refresh_from_db()
    pending = RenderJob.objects.filter(avatar=avatar, status__in=ACTIVE_STATUSES)
    canceled = sum(
        rendering.cancel(job_id, user) for job_id in pending.values_list("pk", flat=True)
    )
    live = ShareLink.objects.filter(job__avatar=avatar, revoked_at=None, expires_at__gt=now)
    revoked = sum(review.revoke(link, user) for link in live)
    done = Withdrawal(canceled=canceled, revoked=revoked)
    credits.record(
        credits.AuditEntry.Action.CONSENT_WITHDRAWN,
        avatar.team,
        user,
        detail=f"{avatar} (avatar #{avatar.pk}): consent withdrawn. {done.summary}",
    )
    return done


def consent_warning(avatar: Avatar) -> str:
    """Why the avatar's consent stops it being rendered, for missing or expired consent."""
    if avatar.consent_status() not in (ConsentStatus.MISSING, ConsentStatus.EXPIRED):
        return ""
    return (
        f"{avatar.consent_summary()}: “{avatar}” cannot be rendered until the person's "
        "consent is recorded on its page."
    )


def face_warning(avatar: Avatar) -> str:
    if avatar.face_found is False:
        return (
            f"No face was found in the portrait of “{avatar}”. Renders need one person facing "
            "the camera: check the photo before rendering."
        )
    if avatar.face_found is None:
        return (
            f"Could not check whether the portrait of “{avatar}” shows a face (no face "
            "detector is installed here, or it was uploaded before faces were checked)."
        )
    return ""


def upload_warnings(avatar: Avatar) -> list[str]:
    """What to tell the person who just put a portrait in the library, though it is accepted."""
    return [warning for warning in (consent_warning(avatar), face_warning(avatar)) if warning]


# --- reminders ---------------------------------------------------------------------------------


def send_reminders(today: datetime.date | None = None) -> int:
    """Tell each team's Editors that an avatar's consent ends within 30, then within 7 days.

    Each reminder goes once per avatar, threshold and expiry date, however often this runs
    and however many run at once; an avatar first seen within 7 days gets that reminder
    alone. Returns how many reminders were sent.
    """
    today = today or timezone.localdate()
    widest = today + datetime.timedelta(days=max(REMINDER_DAYS))
    ending = (
        Avatar.objects.filter(
            archived=False, consent_withdrawn_at=None, consent_expires__range=(today, widest)
        )
        .exclude(consent_person="")
        .exclude(consent_scope="")
    )
    avatars = list(ending)
    done = set(
        ConsentReminder.objects.filter(avatar__in=avatars).values_list("avatar", "days", "expires")
    )
    sent = 0
    for avatar in avatars:
        expires = avatar.consent_expires
        assert expires is not None  # filtered on its range
        left = (expires - today).days
        due = [days for days in REMINDER_DAYS if left <= days]
        if not due or (avatar.pk, min(due), expires) in done:
            continue
        sent += _remind(avatar, expires, left, due)
    return sent


def _remind(avatar: Avatar, expires: datetime.date, left: int, due: list[int]) -> int:
    """Send the nearest threshold's reminder; the wider ones due are spent with it."""
    try:
        with transaction.atomic():
            nearest = min(due)
            ConsentReminder.objects.create(avatar=avatar, days=nearest, expires=expires)
            ConsentReminder.objects.bulk_create(
                [
                    ConsentReminder(avatar=avatar, days=d, expires=expires)
                    for d in due
                    if d != nearest
                ],
                ignore_conflicts=True,
            )
            when = {0: "today", 1: "tomorrow"}.get(left, f"in {left} days")
            message = (
                f"Consent for “{avatar}” ({avatar.consent_person}) ends {when}, on "
                f"{expires:%-d %b %Y}. Record renewed consent, or it can no longer be rendered."
            )
            Notification.objects.bulk_create(
                Notification(
                    user=user, avatar=avatar, kind=Notification.Kind.CONSENT, message=message
                )
                for user in access.consent_keepers(avatar.team_id)
            )
    except IntegrityError:
        return 0  # another sweep sent it first
    return 1
