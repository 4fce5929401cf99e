"""One rate limit per provider API, shared by every worker thread and process.

Built on Dramatiq's WindowRateLimiter, counted in Redis when the broker (or the cache) is a
Redis server that every worker reaches, else in this process (the embedded worker). Every
request to a provider API waits here, briefly, for a slot; when none comes in time it raises
Throttled before anything is sent, so the work is tried again later without a provider
failure counted against it and without any risk of a second render.
"""

from __future__ import annotations

import logging
import math
import random
import time
from dataclasses import dataclass
from functools import cache
from typing import Any, Protocol

import redis
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from dramatiq.rate_limits import RateLimiter, WindowRateLimiter
from dramatiq.rate_limits.backend import RateLimiterBackend
from dramatiq.rate_limits.backends import RedisBackend, StubBackend

from . import base

log = logging.getLogger(__name__)

KEY_PREFIX = "avatar-studio:provider-rate"
# A window is counted in this many buckets: finer is closer to the limit, coarser cheaper.
BUCKETS_PER_WINDOW = 20
REDIS_SCHEMES = ("redis://", "rediss://", "unix://")


class Named(Protocol):
    name: str
    who: str


class Throttled(base.RateLimited, code="throttled"):
    """Our own limiter had no free slot in time: nothing was sent, so nothing failed."""


@dataclass(frozen=True)
class Limit:
    requests: int
    seconds: float

    def __str__(self) -> str:
        per = "second" if self.seconds == 1 else f"{self.seconds:g} seconds"
        return f"{self.requests} requests per {per}"


def limit_for(provider: str) -> Limit | None:
    """The provider's limit from PROVIDER_RATE_LIMITS: a number of requests per second, or
    {"requests": n, "seconds": s}. None when it has none."""
    spec: Any = settings.PROVIDER_RATE_LIMITS.get(provider)
    if spec is None:
        return None
    if isinstance(spec, int | float) and not isinstance(spec, bool):
        spec = {"requests": spec, "seconds": 1}
    try:
        limit = Limit(int(spec["requests"]), float(spec["seconds"]))
    except (TypeError, KeyError, ValueError):
        raise ImproperlyConfigured(
            f"PROVIDER_RATE_LIMITS[{provider!r}] must be a number of requests per second or "
            f'{{"requests": n, "seconds": s}}, not {spec!r}'
        ) from None
    if limit.requests < 1 or limit.seconds <= 0:
        raise ImproperlyConfigured(f"PROVIDER_RATE_LIMITS[{provider!r}] must be positive")
    return limit


def redis_url() -> str:
    """The Redis server every worker shares (the broker's, else the cache's), or ''."""
    for url in (settings.BROKER_URL, getattr(settings, "CACHE_URL", "")):
        if url and url.startswith(REDIS_SCHEMES):
            return url
    return ""


def backend() -> RateLimiterBackend:
    return _backend(redis_url())


@cache
def _backend(url: str) -> RateLimiterBackend:
    if url:
        client = redis.Redis.from_url(url, socket_timeout=5, socket_connect_timeout=5)
        return RedisBackend(client=client)
    return StubBackend()


class SlidingWindowLimiter(WindowRateLimiter):
    """Dramatiq's WindowRateLimiter over buckets of a twentieth of the window rather than of
    whole seconds, spanning the window plus a margin and one bucket more: so any stretch of
    time as long as the window, even shifted by up to the margin, holds at most `limit`.

    Dramatiq's own whole-second buckets would let twice the limit through across the edge
    of two seconds.
    """

    def __init__(
        self, backend: RateLimiterBackend, key: str, *, limit: int, window: float, margin: float
    ) -> None:
        RateLimiter.__init__(self, backend, key)
        self.limit = limit
        self.grain = max(10, round(window * 1000 / BUCKETS_PER_WINDOW))
        self.buckets = math.ceil((window + margin) * 1000 / self.grain) + 1
        # The TTL of each bucket: as long as it can still be summed.
        self.window_millis = self.buckets * self.grain

    def _get_keys(self) -> list[str]:
        now = int(time.time() * 1000) // self.grain
        return [f"{self.key}@{now - i}" for i in range(self.buckets)]


def limiter(provider: str) -> SlidingWindowLimiter | None:
    limit = limit_for(provider)
    if limit is None:
        return None
    return _limiter(
        redis_url(), provider, limit, float(settings.PROVIDER_RATE_LIMIT_MARGIN_SECONDS)
    )


@cache
def _limiter(url: str, provider: str, limit: Limit, margin: float) -> SlidingWindowLimiter:
    return SlidingWindowLimiter(
        _backend(url),
        f"{KEY_PREFIX}:{provider}",
        limit=limit.requests,
        window=limit.seconds,
        margin=margin,
    )


def acquire(provider: Named) -> None:
    """Wait up to PROVIDER_RATE_LIMIT_WAIT_SECONDS for a slot to send one request.

    Raises Throttled when none comes, or when the shared counter cannot be reached (the
    limit cannot be kept without it).
    """
    window = limiter(provider.name)
    if window is None:
        return
    limit = limit_for(provider.name)
    deadline = time.monotonic() + float(settings.PROVIDER_RATE_LIMIT_WAIT_SECONDS)
    while True:
        try:
            with window.acquire(raise_on_failure=False) as acquired:
                if acquired:
                    return
        except redis.RedisError as exc:
            log.warning("provider rate limit for %s unreachable: %s", provider.name, exc)
            raise Throttled(
                f"The shared counter that keeps us under {provider.who}'s rate limit cannot be "
                "reached, so nothing was sent.",
                retry_after=_later(limit),
                detail=str(exc),
            ) from None
        if time.monotonic() >= deadline:
            raise Throttled(
                f"{provider.who} is busy with our other requests (we keep under its limit of "
                f"{limit}), so this one waits its turn.",
                retry_after=_later(limit),
            )
        # Jittered, so that waiting workers do not all try again at the same instant.
        time.sleep(window.grain / 1000 * random.uniform(0.5, 1.5))


def _later(limit: Limit | None) -> float:
    seconds = limit.seconds if limit is not None else 1.0
    return min(60.0, seconds * random.uniform(1.0, 2.0))
