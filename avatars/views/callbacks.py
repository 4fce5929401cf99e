"""Provider callbacks: authenticated by a per-job token (and a signature where the provider
signs), recorded, confirmed before believed."""

import logging

from django.conf import settings
from django.db import IntegrityError, transaction
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.utils.crypto import constant_time_compare
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from avatars import render
from avatars.models import RenderJob, WebhookDelivery
from avatars.providers import base, get_provider

log = logging.getLogger(__name__)


@csrf_exempt
@require_POST
def provider_callback(request: HttpRequest, provider: str, job_id: int, token: str) -> HttpResponse:
    job = RenderJob.objects.filter(pk=job_id, provider=provider).first()
    if job is None or not constant_time_compare(token, job.callback_token):
        raise Http404("No such callback.")
    limit = settings.CALLBACK_MAX_BYTES
    body = request.read(limit + 1)
    if len(body) > limit or _announced_size(request) > limit:
        render.record_callback(
            job, None, body[:0], f"Refused a callback larger than {limit} bytes."
        )
        return JsonResponse({"error": "body too large"}, status=413)
    headers = {key.lower(): value for key, value in request.headers.items()}
    try:
        state = get_provider(provider).parse_callback(body, headers)
    except base.CallbackRejected as rejected:
        render.record_callback(job, None, body, f"Refused a callback: {rejected}")
        status = 401 if isinstance(rejected, base.SignatureRejected) else 400
        return JsonResponse({"error": str(rejected)}, status=status)
    with transaction.atomic():
        if _seen_before(job, state):
            message = f"Ignored a repeated delivery {state.delivery_id}: it was handled already."
            render.record_callback(job, state, body, message)
            return JsonResponse({"ok": True, "repeated": True})
        render.record_callback(job, state, body)
        render.on_callback(job, state)
    return JsonResponse({"ok": True})


def _seen_before(job: RenderJob, state: base.TaskState) -> bool:
    """Whether a signed delivery with this webhook-id was handled before (its retry or a replay)."""
    if not state.delivery_id:
        return False
    try:
        with transaction.atomic():
            WebhookDelivery.objects.create(
                job=job, provider=job.provider, delivery_id=state.delivery_id
            )
    except IntegrityError:
        return True
    return False


def _announced_size(request: HttpRequest) -> int:
    try:
        return int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return 0
