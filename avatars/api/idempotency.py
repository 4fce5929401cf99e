"""`Idempotency-Key` on POSTs that create or spend: a retry gets the first answer.

The first request with a key claims it (a row committed before any work starts), does the
work and keeps its answer; a retry with the same body gets that answer again, the same
job's id included; a retry with another body is refused (422). A retry that arrives while
the first is still working waits for it, up to `WAIT_SECONDS`, then is told to try again
(409). Answers of 5xx are not kept: the work did not happen, so a retry may do it.
"""

from __future__ import annotations

import datetime
import hashlib
import json
import time
from collections.abc import Callable

from django.db import IntegrityError, transaction
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils import timezone

from avatars.api import problems
from avatars.api.problems import Problem
from avatars.models import ApiKey, IdempotentRequest

HEADER = "Idempotency-Key"
KEPT = datetime.timedelta(hours=24)
WAIT_SECONDS = 10.0
MAX_KEY_LENGTH = 255


def once(request: HttpRequest, api_key: ApiKey, work: Callable[[], HttpResponse]) -> HttpResponse:
    """`work()`'s answer, or, for a retry of a request with the same key, the first answer."""
    key = request.headers.get(HEADER, "").strip()
    if not key:
        return work()
    if len(key) > MAX_KEY_LENGTH:
        raise Problem(400, f"An {HEADER} is at most {MAX_KEY_LENGTH} characters.")
    operation = f"{request.method} {request.path}"
    body = hashlib.sha256(request.body).hexdigest()
    claimed = _claim(api_key, key, operation, body)
    if claimed is None:
        return _replay(api_key, key, operation, body)
    try:
        answer = work()
    except Problem as refused:
        answer = problems.response(refused)
    except BaseException:
        claimed.delete()
        raise
    if answer.status_code >= 500:
        claimed.delete()
        return answer
    claimed.status = answer.status_code
    claimed.response = json.loads(answer.content or b"null")
    claimed.save(update_fields=["status", "response"])
    answer["Idempotent-Replayed"] = "false"
    return answer


def _claim(api_key: ApiKey, key: str, operation: str, body: str) -> IdempotentRequest | None:
    IdempotentRequest.objects.filter(created_at__lt=timezone.now() - KEPT).delete()
    try:
        with transaction.atomic():
            return IdempotentRequest.objects.create(
                api_key=api_key, key=key, operation=operation, body_digest=body
            )
    except IntegrityError:
        return None


def _replay(api_key: ApiKey, key: str, operation: str, body: str) -> HttpResponse:
    deadline = time.monotonic() + WAIT_SECONDS
    while True:
        first = IdempotentRequest.objects.filter(api_key=api_key, key=key).first()
        if first is None:
            raise Problem(409, "The first request with this Idempotency-Key failed: send it again.")
        if first.operation != operation or first.body_digest != body:
            raise Problem(
                422,
                f"This {HEADER} was first used for another request ({first.operation} with "
                "another body). Use a new key for a new request.",
                kind="idempotency-key-reused",
            )
        if first.status is not None:
            answer = JsonResponse(
                first.response,
                status=first.status,
                safe=False,
                content_type=_content_type(first.status),
            )
            answer["Idempotent-Replayed"] = "true"
            return answer
        if time.monotonic() >= deadline:
            raise Problem(
                409,
                "The first request with this Idempotency-Key is still being answered. "
                "Try again in a few seconds.",
                kind="idempotency-key-in-use",
                headers={"Retry-After": "2"},
            )
        time.sleep(0.05)


def _content_type(status: int) -> str:
    return "application/problem+json" if status >= 400 else "application/json"
