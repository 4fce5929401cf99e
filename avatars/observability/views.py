"""/healthz (alive), /readyz (can work), /healthz/workers (queues consumed), /metrics."""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils import timezone
from django.utils.crypto import constant_time_compare
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET
from prometheus_client import CollectorRegistry, generate_latest

# Every Prometheus version reads 0.0.4; the names here need nothing newer.
from prometheus_client.exposition import CONTENT_TYPE_PLAIN_0_0_4

from . import heartbeat, readiness
from .metrics import StudioCollector


@never_cache
@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    """Liveness: the process answers. Touches nothing else, so a database outage does not
    get every web process restarted."""
    return JsonResponse({"status": "ok"})


@never_cache
@require_GET
def readyz(request: HttpRequest) -> JsonResponse:
    checks = readiness.readiness()
    ready = all(check["ok"] for check in checks.values())
    failed = [name for name, check in checks.items() if not check["ok"]]
    body = {"status": "ok" if ready else "failing", "failed": failed, "checks": checks}
    return JsonResponse(body, status=200 if ready else 503)


@never_cache
@require_GET
def workers(request: HttpRequest) -> JsonResponse:
    now = timezone.now()
    states = heartbeat.workers(now)
    queues = {}
    for queue in heartbeat.expected_queues():
        serving = [w for w in states if queue in w.queues]
        queues[queue] = {
            "alive": sum(w.alive for w in serving),
            "last_beat": max((w.beat_at for w in serving), default=None),
        }
    missing = [queue for queue, state in queues.items() if not state["alive"]]
    body = {
        "status": "failing" if missing else "ok",
        "stale_after_seconds": settings.WORKER_STALE_SECONDS,
        "queues_without_live_worker": missing,
        "queues": queues,
        "workers": [
            {
                "host": w.host,
                "pid": w.pid,
                "queues": w.queues,
                "started_at": w.started_at,
                "last_beat": w.beat_at,
                "alive": w.alive,
            }
            for w in states
        ],
    }
    return JsonResponse(body, status=503 if missing else 200)


@never_cache
@require_GET
def metrics(request: HttpRequest) -> HttpResponse:
    token = settings.METRICS_TOKEN
    if not token and not settings.DEBUG:
        return HttpResponse(
            "Metrics are closed: set METRICS_TOKEN and send it as a bearer token.\n",
            status=403,
            content_type="text/plain",
        )
    if token:
        sent = request.headers.get("Authorization", "")
        if not constant_time_compare(sent, f"Bearer {token}"):
            response = HttpResponse(
                "Send the METRICS_TOKEN as 'Authorization: Bearer …'.\n",
                status=401,
                content_type="text/plain",
            )
            response["WWW-Authenticate"] = 'Bearer realm="metrics"'
            return response
    registry = CollectorRegistry()
    registry.register(StudioCollector())
    return HttpResponse(generate_latest(registry), content_type=CONTENT_TYPE_PLAIN_0_0_4)
