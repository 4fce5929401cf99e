"""The sandbox's HTTP face: Crun's contract (shared/providers.md §1) at SANDBOX_BASE_URL."""

import json
from typing import Any

from django.http import FileResponse, Http404, HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_POST

from .service import service

API_KEY = "sandbox"


def _answer(result: tuple[int, dict[str, Any], dict[str, str]]) -> JsonResponse:
    status, body, headers = result
    response = JsonResponse(body, status=status)
    for name, value in headers.items():
        response[name] = value
    return response


def _unauthorized(request: HttpRequest) -> JsonResponse | None:
    if request.headers.get("x-api-key") != API_KEY:
        return JsonResponse({"code": 401, "message": "unauthorized", "data": None}, status=401)
    return None


@csrf_exempt
@require_POST
def create_task(request: HttpRequest) -> HttpResponse:
    if refused := _unauthorized(request):
        return refused
    try:
        payload = json.loads(request.body)
    except ValueError:
        return JsonResponse({"code": 422, "message": "body is not JSON", "data": None}, status=422)
    return _answer(service.create_task(payload))


@require_GET
def task_info(request: HttpRequest) -> HttpResponse:
    if refused := _unauthorized(request):
        return refused
    return _answer(service.task_info(request.GET.get("task_id", "")))


@require_GET
def balance(request: HttpRequest) -> HttpResponse:
    if refused := _unauthorized(request):
        return refused
    return _answer(service.balance())


@require_GET
def result(request: HttpRequest, task_id: str) -> HttpResponse:
    path = service.result_path(task_id)
    if path is None:
        raise Http404("No such result.")
    return FileResponse(path.open("rb"), content_type="video/mp4")
