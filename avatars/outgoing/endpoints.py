"""A team's webhook endpoints: made (the secret shown once), rotated, disabled."""

from __future__ import annotations

import base64
import datetime
import secrets

from django.conf import settings
from django.contrib.auth.models import User
from django.utils import timezone

from avatars import fetch
from avatars.models import Team, WebhookEndpoint

EVENTS = [
    "render.succeeded",
    "render.failed",
    "render.approved",
    "render.rejected",
    "render.changes_requested",
    "campaign.sample_ready",
    "campaign.completed",
    "campaign.paused",
    "budget.threshold",
]
# How long the old secret keeps signing after a rotation.
ROTATION_OVERLAP = datetime.timedelta(hours=24)


class EndpointError(Exception):
    """An endpoint that cannot be registered as asked, in words for the person asking, and
    the field (`url` or `events`) it is about."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


def new_secret() -> str:
    """A Standard Webhooks secret: "whsec_" and 24 random bytes in base64."""
    return "whsec_" + base64.b64encode(secrets.token_bytes(24)).decode()


def check_events(events: list[str]) -> list[str]:
    unknown = [name for name in events if name not in EVENTS]
    if unknown:
        raise EndpointError(
            "events",
            f"There is no event called {', '.join(unknown)}: choose from {', '.join(EVENTS)}.",
        )
    return list(dict.fromkeys(events))


def check_url(url: str) -> str:
    """The address, if deliveries may go there: the address policy of downloads."""
    url = url.strip()
    if not url.startswith(("https://", "http://")) or len(url) > 2000:
        raise EndpointError("url", "Give the endpoint's full web address, starting with https://.")
    try:
        fetch.check_target(url, allow_private=settings.FETCH_ALLOW_PRIVATE)
    except fetch.FetchRefused as refused:
        raise EndpointError("url", str(refused)) from None
    return url


def register(team: Team, url: str, events: list[str], by: User | None) -> WebhookEndpoint:
    return WebhookEndpoint.objects.create(
        team=team,
        url=check_url(url),
        events=check_events(events),
        secret=new_secret(),
        created_by=by,
    )


def rotate(endpoint: WebhookEndpoint) -> WebhookEndpoint:
    """A new secret; the old one keeps signing beside it for ROTATION_OVERLAP."""
    endpoint.previous_secret = endpoint.secret
    endpoint.previous_secret_until = timezone.now() + ROTATION_OVERLAP
    endpoint.secret = new_secret()
    endpoint.save(update_fields=["secret", "previous_secret", "previous_secret_until"])
    return endpoint


def signing_secrets(endpoint: WebhookEndpoint) -> list[str]:
    """The secrets each delivery is signed with now: the current one, and the old one while
    a rotation overlaps."""
    kept = endpoint.previous_secret_until and endpoint.previous_secret_until > timezone.now()
    return [endpoint.secret, endpoint.previous_secret] if kept else [endpoint.secret]


def disable(endpoint: WebhookEndpoint, why: str) -> None:
    WebhookEndpoint.objects.filter(pk=endpoint.pk).update(enabled=False, disabled_reason=why[:300])
