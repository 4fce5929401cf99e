"""Outgoing webhooks through the API: endpoints (with their secret shown once), rotation,
delivery logs and resending; and Zapier-style REST hooks with sample payloads."""

from __future__ import annotations

from typing import Any

from django.db.models import Prefetch, QuerySet
from django.http import HttpRequest, HttpResponse
from ninja import Query, Router, Schema, Status

from avatars.api import idempotency, keys, present
from avatars.api.context import need, page_size, team_of, user_of
from avatars.api.problems import Problem, not_found
from avatars.api.schemas import (
    DeliveryPage,
    HookIn,
    HookOut,
    SampleEvent,
    WebhookIn,
    WebhookOut,
    WebhookPage,
    WebhookWithSecret,
)
from avatars.models import ApiScope, WebhookAttempt, WebhookEndpoint, WebhookMessage
from avatars.outgoing import delivery, endpoints, samples

router = Router(tags=["webhooks"])


class PageQuery(Schema):
    cursor: str = ""
    limit: int = 50


def _endpoints(request: HttpRequest) -> QuerySet[WebhookEndpoint]:
    return WebhookEndpoint.objects.filter(team=team_of(request))


def _endpoint(request: HttpRequest, webhook_id: int) -> WebhookEndpoint:
    found = _endpoints(request).filter(pk=webhook_id).first()
    if found is None:
        raise not_found("webhook endpoint")
    return found


def _shown(endpoint: WebhookEndpoint, secret: bool = False) -> dict[str, Any]:
    shown = {
        "id": endpoint.pk,
        "url": endpoint.url,
        "events": endpoint.events,
        "enabled": endpoint.enabled,
        "disabled_reason": endpoint.disabled_reason,
        "created_at": endpoint.created_at,
    }
    return {**shown, "secret": endpoint.secret} if secret else shown


def _register(request: HttpRequest, url: str, events: list[str]) -> WebhookEndpoint:
    try:
        return endpoints.register(team_of(request), url, events, user_of(request))
    except endpoints.EndpointError as refused:
        errors = {refused.field: str(refused)}
        raise Problem(422, str(refused), kind="invalid-fields", errors=errors) from None


@router.post("/webhooks", response={201: WebhookWithSecret}, summary="Register an endpoint")
def create_webhook(request: HttpRequest, payload: WebhookIn) -> HttpResponse:
    api_key = need(request, ApiScope.MANAGE)

    def work() -> HttpResponse:
        made = _register(request, payload.url, payload.events)
        return present.reply(WebhookWithSecret, _shown(made, secret=True), 201)

    return idempotency.once(request, api_key, work)


@router.get("/webhooks", response=WebhookPage, summary="The team's endpoints")
def list_webhooks(request: HttpRequest) -> dict[str, Any]:
    need(request, ApiScope.READ)
    return {"items": [_shown(e) for e in _endpoints(request)], "next": None}


@router.get("/webhooks/{webhook_id}", response=WebhookOut, summary="An endpoint")
def get_webhook(request: HttpRequest, webhook_id: int) -> dict[str, Any]:
    need(request, ApiScope.READ)
    return _shown(_endpoint(request, webhook_id))


@router.delete("/webhooks/{webhook_id}", response={204: None}, summary="Remove an endpoint")
def delete_webhook(request: HttpRequest, webhook_id: int) -> Status[None]:
    need(request, ApiScope.MANAGE)
    _endpoint(request, webhook_id).delete()
    return Status(204, None)


@router.post(
    "/webhooks/{webhook_id}/rotate",
    response=WebhookWithSecret,
    summary="A new secret; the old one keeps signing beside it for 24 hours",
)
def rotate_webhook(request: HttpRequest, webhook_id: int) -> dict[str, Any]:
    need(request, ApiScope.MANAGE)
    return _shown(endpoints.rotate(_endpoint(request, webhook_id)), secret=True)


@router.get(
    "/webhooks/{webhook_id}/deliveries",
    response=DeliveryPage,
    summary="The endpoint's delivery log, newest first",
)
def list_deliveries(
    request: HttpRequest, webhook_id: int, query: Query[PageQuery]
) -> dict[str, Any]:
    need(request, ApiScope.READ)
    page_size(query.limit)
    endpoint = _endpoint(request, webhook_id)
    rows = endpoint.messages.select_related("event").prefetch_related(
        Prefetch("tries", queryset=WebhookAttempt.objects.order_by("pk"))
    )
    before = int(query.cursor) if query.cursor.isdigit() else None
    if before is not None:
        rows = rows.filter(pk__lt=before)
    page = list(rows.order_by("-pk")[: query.limit + 1])
    more, page = len(page) > query.limit, page[: query.limit]
    return {
        "items": [_delivery(m) for m in page],
        "next": str(page[-1].pk) if more and page else None,
    }


@router.post(
    "/webhooks/{webhook_id}/deliveries/{delivery_id}/resend",
    response={202: WebhookOut},
    summary="Send a delivery again, now, with the same webhook-id",
)
def resend_delivery(
    request: HttpRequest, webhook_id: int, delivery_id: int
) -> Status[dict[str, Any]]:
    need(request, ApiScope.MANAGE)
    endpoint = _endpoint(request, webhook_id)
    message = endpoint.messages.filter(pk=delivery_id).first()
    if message is None:
        raise not_found("delivery")
    delivery.resend(message)
    return Status(202, _shown(endpoint))


def _delivery(message: WebhookMessage) -> dict[str, Any]:
    return {
        "id": message.pk,
        "event_id": message.event.event_id,
        "type": message.event.type,
        "state": message.state,
        "attempts": message.attempts,
        "next_attempt_at": message.next_attempt_at,
        "tries": [
            {
                "number": t.number,
                "status_code": t.status_code,
                "milliseconds": t.milliseconds,
                "response_excerpt": t.response_excerpt,
                "error": t.error,
                "at": t.created_at,
            }
            for t in message.tries.all()
        ],
    }


# --- REST hooks (Zapier, Make, n8n) -----------------------------------------------------------


@router.post("/hooks", response={201: HookOut}, summary="Subscribe a URL to one event")
def subscribe(request: HttpRequest, payload: HookIn) -> Status[dict[str, Any]]:
    need(request, ApiScope.READ)
    made = _register(request, payload.target_url, [payload.event])
    return Status(201, {"id": made.pk, "target_url": made.url, "event": payload.event})


@router.delete("/hooks/{hook_id}", response={204: None}, summary="Unsubscribe")
def unsubscribe(request: HttpRequest, hook_id: int) -> Status[None]:
    api_key = need(request, ApiScope.READ)
    endpoint = _endpoint(request, hook_id)
    # A key without `manage` removes only what it subscribed itself.
    if not keys.has_scope(api_key, ApiScope.MANAGE) and endpoint.created_by_id != api_key.user_id:
        raise Problem(
            403,
            "This key may only remove the hooks it subscribed; a key with the manage scope "
            "may remove any.",
            kind="not-allowed",
        )
    endpoint.delete()
    return Status(204, None)


@router.get(
    "/hooks/samples/{event}",
    response=list[SampleEvent],
    summary="A sample payload of the event, as automation tools list for a trigger",
)
def sample(request: HttpRequest, event: str) -> list[dict[str, Any]]:
    need(request, ApiScope.READ)
    try:
        return [samples.sample(event)]
    except KeyError:
        raise Problem(
            404, f"There is no event called “{event}”: choose from {', '.join(endpoints.EVENTS)}."
        ) from None
