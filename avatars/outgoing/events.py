"""Recording an event once and queueing it for every endpoint of the team that wants it."""

from __future__ import annotations

import functools
import secrets
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from avatars.models import Team, WebhookEndpoint, WebhookEvent, WebhookMessage


def emit(team: Team | int, event_type: str, data: dict[str, Any], *, once: str = "") -> int:
    """Record the event and queue a message per endpoint that wants it; how many.

    `once` makes the event's id from what it is about ("budget.threshold:acme:2026-12:75"),
    so the same happening is announced once however often it is noticed.
    """
    team_id = team if isinstance(team, int) else team.pk
    enabled = WebhookEndpoint.objects.filter(team_id=team_id, enabled=True)
    endpoints = [endpoint for endpoint in enabled if endpoint.wants(event_type)]
    if not endpoints:
        return 0
    event_id = f"evt_{once}" if once else f"evt_{secrets.token_hex(12)}"
    payload = {
        "type": event_type,
        "timestamp": timezone.now().isoformat().replace("+00:00", "Z"),
        "data": data,
    }
    try:
        with transaction.atomic():
            event = WebhookEvent.objects.create(
                team_id=team_id, event_id=event_id, type=event_type, payload=payload
            )
            messages = WebhookMessage.objects.bulk_create(
                WebhookMessage(endpoint=endpoint, event=event) for endpoint in endpoints
            )
    except IntegrityError:  # announced already
        return 0
    for message in messages:
        transaction.on_commit(functools.partial(send_message, message.pk))
    return len(messages)


def send_message(message_id: int, delay: float | None = None) -> None:
    from avatars import tasks

    if delay:
        tasks.deliver_webhook.send_with_options(args=(message_id,), delay=int(delay * 1000))
    else:
        tasks.deliver_webhook.send(message_id)
