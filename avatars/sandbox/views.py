"""The sandbox's HTTP face: Crun's contract (shared/providers.md §1) at SANDBOX_BASE_URL, plus
a speech preview of its own. Every call needs SANDBOX_API_KEY in `x-api-key` (else a 401);
result links carry their own signature instead, as a provider's download links do."""

import hmac
import json
from collections.abc import Callable
from functools import wraps
from typing import Any

from django.conf import settings
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, JsonResponse
from django.http.response import HttpResponseBase
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_POST

from .service import Answer, error, service

UNAUTHORIZED = error(401, "unauthorized")


def _answer(result: Answer) -> JsonResponse:
    status, body = result
    return JsonResponse(body, status=status)


def keyed(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """A 401 and nothing else for a call without the sandbox's key."""

    @wraps(view)
    def checked(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        given = request.headers.get("x-api-key", "")
        if not hmac.compare_digest(given.encode(), settings.SANDBOX_API_KEY.encode()):
            return _answer(UNAUTHORIZED)
        return view(request, *args, **kwargs)

    return checked


def _json_body(request: HttpRequest) -> Any:
    try:
        return json.loads(request.body)
    except (ValueError, RecursionError):
        return None


@csrf_exempt
@require_POST
@keyed
def create_task(request: HttpRequest) -> HttpResponse:
    payload = _json_body(request)
    if payload is None:
        return _answer(error(422, "body is not JSON"))
    return _answer(service.create_task(payload))


@require_GET
@keyed
def task_info(request: HttpRequest) -> HttpResponse:
    return _answer(service.task_info(request.GET.get("task_id", "")))


@require_GET
@keyed
def balance(request: HttpRequest) -> HttpResponse:
    return _answer(service.balance())


@require_GET
def result(request: HttpRequest, task_id: str) -> HttpResponseBase:
    path = service.result_path(
        task_id, request.GET.get("expires", ""), request.GET.get("signature", "")
    )
    if path is None:
        # As a CDN answers for a link it did not sign: nothing says whether the task exists.
        raise Http404("No such result.")
    return FileResponse(path.open("rb"), content_type="video/mp4")


@csrf_exempt
@require_POST
@keyed
def speech_preview(request: HttpRequest) -> HttpResponse:
    """POST {"text", "language" (our code, e.g. "en-US"), "speaker" (e.g. "Zephyr")} → a WAV."""
    from .preview import PreviewRefused, speech_wav

    payload = _json_body(request)
    try:
        wav = speech_wav(payload)
    except PreviewRefused as refused:
        return _answer(error(422, str(refused)))
    return HttpResponse(wav, content_type="audio/wav")
