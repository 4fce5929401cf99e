"""One try of a webhook message, and what follows from its answer.

Any 2xx is delivered. 410 Gone disables the endpoint. Anything else (an error, a timeout, a
refusal of the address) is tried again after the next of WEBHOOK_RETRY_SECONDS, with the same
`webhook-id`; after the last, the message has failed, and an endpoint that has failed every
delivery for DISABLE_AFTER is disabled.
"""

from __future__ import annotations

import datetime
import json

from django.conf import settings
from django.db import models, transaction
from django.utils import timezone
from standardwebhooks.webhooks import Webhook

from avatars import fetch
from avatars.models import WebhookAttempt, WebhookEndpoint, WebhookMessage
from avatars.outgoing import endpoints
from avatars.outgoing.events import send_message

# The waits between tries: WEBHOOK_RETRY_SECONDS, by default seconds to hours, 8 tries in all
# (about 5 hours from the first to the last).
DISABLE_AFTER = datetime.timedelta(days=3)
LOST_AFTER = datetime.timedelta(minutes=10)
TIMEOUT_SECONDS = 10.0
EXCERPT_BYTES = 500
M = WebhookMessage.State


def body_of(message: WebhookMessage) -> bytes:
    payload = message.event.payload
    return json.dumps(payload, separators=(",", ":"), ensure_ascii=False).encode()


def signed_headers(message: WebhookMessage, body: bytes) -> dict[str, str]:
    """The Standard Webhooks headers, with one signature per secret in use."""
    now = timezone.now()
    event_id = message.event.event_id
    signatures = " ".join(
        Webhook(secret).sign(event_id, now, body.decode())
        for secret in endpoints.signing_secrets(message.endpoint)
    )
    return {
        "webhook-id": event_id,
        "webhook-timestamp": str(int(now.timestamp())),
        "webhook-signature": signatures,
        "Content-Type": "application/json",
    }


def deliver(message_id: int) -> None:
    """Try the message once, if it is still waiting; record the try; plan what is next."""
    with transaction.atomic():
        message = (
            WebhookMessage.objects.select_for_update(of=("self",))
            .select_related("endpoint", "event")
            .filter(pk=message_id, state=M.PENDING)
            .first()
        )
        if message is None:
            return
        message.attempts += 1
        message.save(update_fields=["attempts"])
    endpoint = message.endpoint
    if not endpoint.enabled:
        _finish(message, M.FAILED)
        return
    body = body_of(message)
    status, excerpt, error, seconds = None, "", "", 0.0
    try:
        answer = fetch.post(
            endpoint.url,
            body,
            headers=signed_headers(message, body),
            allow_private=settings.FETCH_ALLOW_PRIVATE,
            timeout=TIMEOUT_SECONDS,
            max_excerpt_bytes=EXCERPT_BYTES,
        )
        status, excerpt, seconds = answer.status, answer.excerpt, answer.seconds
    except (fetch.FetchRefused, fetch.FetchFailed) as refused:
        error = str(refused)
    WebhookAttempt.objects.create(
        message=message,
        number=message.attempts,
        status_code=status,
        milliseconds=int(seconds * 1000),
        response_excerpt=excerpt[:EXCERPT_BYTES],
        error=error[:500],
    )
    if status is not None and 200 <= status < 300:
        _finish(message, M.DELIVERED)
        WebhookEndpoint.objects.filter(pk=endpoint.pk).update(failing_since=None)
        return
    if status == 410:
        endpoints.disable(endpoint, "The receiver answered 410 Gone: it no longer wants these.")
        _finish(message, M.FAILED)
        return
    _failed_try(message, endpoint)


def _failed_try(message: WebhookMessage, endpoint: WebhookEndpoint) -> None:
    now = timezone.now()
    if endpoint.failing_since is None:
        WebhookEndpoint.objects.filter(pk=endpoint.pk, failing_since=None).update(failing_since=now)
    elif now - endpoint.failing_since > DISABLE_AFTER:
        endpoints.disable(
            endpoint,
            f"Every delivery failed since {endpoint.failing_since:%d %b %Y %H:%M}: "
            "fix the receiver, then enable the endpoint again.",
        )
    waits = [float(w) for w in settings.WEBHOOK_RETRY_SECONDS]
    if message.attempts > len(waits):
        _finish(message, M.FAILED)
        return
    wait = waits[message.attempts - 1]
    WebhookMessage.objects.filter(pk=message.pk).update(
        next_attempt_at=now + datetime.timedelta(seconds=wait)
    )
    send_message(message.pk, delay=wait)


def _finish(message: WebhookMessage, state: str) -> None:
    WebhookMessage.objects.filter(pk=message.pk).update(state=state, next_attempt_at=None)


def resend(message: WebhookMessage) -> None:
    """Try a delivered or failed message again, now, with the same webhook-id."""
    WebhookMessage.objects.filter(pk=message.pk).update(state=M.PENDING, next_attempt_at=None)
    send_message(message.pk)


def sweep() -> int:
    """Send again the messages whose try is overdue (its broker message was lost)."""
    late = timezone.now() - LOST_AFTER
    lost = WebhookMessage.objects.filter(state=M.PENDING).filter(
        models.Q(next_attempt_at__lt=late) | models.Q(next_attempt_at=None, created_at__lt=late)
    )
    ids = list(lost.values_list("pk", flat=True)[:1000])
    for message_id in ids:
        send_message(message_id)
    return len(ids)
