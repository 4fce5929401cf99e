"""Requests per key per minute: past the limit, 429 with Retry-After; every answer says how
many are left (RateLimit headers, draft-ietf-httpapi-ratelimit-headers).

The window opens with a key's first request and lasts `WINDOW_SECONDS`; counts live in
Django's cache, so with a shared cache (Redis) every web process counts together.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest, HttpResponse

from avatars.api.problems import Problem
from avatars.models import ApiKey

WINDOW_SECONDS = 60
PREFIX = "api-rate"


@dataclass(frozen=True)
class Allowance:
    limit: int
    remaining: int
    reset: int  # seconds until the window ends

    def headers(self) -> dict[str, str]:
        return {
            "RateLimit-Policy": f"{self.limit};w={WINDOW_SECONDS}",
            "RateLimit": f"limit={self.limit}, remaining={self.remaining}, reset={self.reset}",
        }


def take(request: HttpRequest, api_key: ApiKey) -> None:
    """Count one request of the key; refuse it (429) once the window's limit is spent."""
    limit = int(settings.API_REQUESTS_PER_MINUTE)
    now = time.time()
    count_key, start_key = f"{PREFIX}:{api_key.pk}:n", f"{PREFIX}:{api_key.pk}:t"
    if cache.add(start_key, now, timeout=WINDOW_SECONDS):
        cache.set(count_key, 1, timeout=WINDOW_SECONDS)
        count, started = 1, now
    else:
        started = float(cache.get(start_key, now))
        try:
            count = cache.incr(count_key)
        except ValueError:  # the window ended between the two reads
            cache.add(count_key, 1, timeout=WINDOW_SECONDS)
            count = 1
    reset = max(1, math.ceil(started + WINDOW_SECONDS - now))
    allowance = Allowance(limit, max(0, limit - count), reset)
    request.api_allowance = allowance  # type: ignore[attr-defined]
    if count > limit:
        raise Problem(
            429,
            f"This key has made {limit} requests this minute, its limit. Try again in {reset} s.",
            kind="rate-limited",
            headers={"Retry-After": str(reset), **allowance.headers()},
        )


class AllowanceHeaders:
    """Middleware: every API answer to a counted request says how many requests are left."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        allowance = getattr(request, "api_allowance", None)
        if isinstance(allowance, Allowance):
            for name, value in allowance.headers().items():
                response.setdefault(name, value)
        return response
