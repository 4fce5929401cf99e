"""The coloured badges people read status from, shared by the admin and the studio."""

from django.utils.html import format_html
from django.utils.safestring import SafeString

from avatars.models import Avatar, ConsentStatus, JobStatus, RenderJob, ReviewStatus

CONSENT_KIND = {
    ConsentStatus.VALID: "ok",
    ConsentStatus.EXPIRING: "warn",
    ConsentStatus.EXPIRED: "bad",
    ConsentStatus.MISSING: "bad",
    ConsentStatus.WITHDRAWN: "bad",
}
# Keyed by the stored values (plain strings): the choices are str subclasses.
STATUS_KIND: dict[str, str] = {
    JobStatus.SUCCEEDED: "ok",
    JobStatus.FAILED: "bad",
    JobStatus.CANCELED: "quiet",
}
REVIEW_KIND: dict[str, str] = {
    ReviewStatus.APPROVED: "ok",
    ReviewStatus.REJECTED: "bad",
    ReviewStatus.CHANGES_REQUESTED: "warn",
    ReviewStatus.PENDING: "quiet",
}


def badge(kind: str, label: str, title: str = "") -> SafeString:
    return format_html(
        '<span class="badge badge-{}" title="{}">{}</span>', kind, title or label, label
    )


def consent_text(avatar: Avatar) -> str:
    return avatar.consent_summary()


def consent_badge(avatar: Avatar, short: bool = True) -> SafeString:
    status = avatar.consent_status()
    if not short:
        return badge(CONSENT_KIND[status], consent_text(avatar))
    if status == ConsentStatus.EXPIRING:
        label = f"Expires {avatar.consent_expires:%-d %b}"
    else:
        label = {
            "valid": "Valid",
            "expired": "Expired",
            "missing": "No consent",
            "withdrawn": "Withdrawn",
        }[status]
    return badge(CONSENT_KIND[status], label, title=consent_text(avatar))


def status_badge(job: RenderJob) -> SafeString:
    return badge(STATUS_KIND.get(job.status, "warn"), job.get_status_display(), job.error_message)


def review_badge(job: RenderJob) -> SafeString:
    return badge(REVIEW_KIND[job.review], job.get_review_display())
