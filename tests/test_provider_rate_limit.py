"""One rate limit per provider, kept by every worker thread and process together.

A fake Lumenfall on 127.0.0.1 notes the moment every API request reaches it; many renders
run at once against a low limit, and no stretch of time as long as the limit's window may
hold more requests than the limit.
"""

import time
from collections import Counter
from collections.abc import Iterator

import pytest
import redis
from django.core.exceptions import ImproperlyConfigured
from dramatiq.rate_limits.backends import RedisBackend, StubBackend

from avatars import render
from avatars.models import JobStatus, ProviderCall, RenderJob
from avatars.providers import get_provider, ratelimit
from tests.fakes import lumenfall
from tests.fakes.lumenfall import FakeLumenfall
from tests.fakes.server import Answer, Request
from tests.helpers.jobs import request_speech, request_speeches, wait_for
from tests.pipeline import REDIS_URL

LIMIT = 5
WINDOW = 1.0
JOBS = 16


class TimedLumenfall(FakeLumenfall):
    """Notes when each API request arrives (result downloads are not API requests)."""

    def reset(self, **behaviour: object) -> None:
        super().reset(**behaviour)
        self.arrivals: list[float] = []

    def answer(self, request: Request) -> Answer:
        self.arrivals.append(time.time())
        return super().answer(request)


def busiest_window(moments: list[float], width: float) -> int:
    """The most requests any stretch [t, t + width) held."""
    moments = sorted(moments)
    most, start = 0, 0
    for end, moment in enumerate(moments):
        while moments[start] <= moment - width:
            start += 1
        most = max(most, end - start + 1)
    return most


def creates_per_job(fake: FakeLumenfall) -> Counter[str]:
    return Counter(
        r.headers.get("idempotency-key", "")
        for r in fake.requests
        if r.method == "POST" and r.path == "/v1/videos"
    )


@pytest.fixture(autouse=True)
def fresh_limiters() -> Iterator[None]:
    """Each test counts from zero in its own in-process backend."""
    ratelimit._backend.cache_clear()
    ratelimit._limiter.cache_clear()
    yield
    ratelimit._backend.cache_clear()
    ratelimit._limiter.cache_clear()


@pytest.fixture
def timed_lumenfall(live_app, settings) -> Iterator[TimedLumenfall]:
    fake = TimedLumenfall().start()
    settings.LUMENFALL_BASE_URL = f"{fake.url}/v1"
    settings.LUMENFALL_API_KEY = lumenfall.API_KEY
    # No webhooks: polling does the work, so every job makes several status requests.
    settings.LUMENFALL_WEBHOOK_SECRET = ""
    settings.PROVIDER_RATE_LIMITS = {"lumenfall": LIMIT}
    yield fake
    fake.stop()


def assert_all_rendered_within_the_limit(jobs: list[RenderJob], fake: TimedLumenfall) -> None:
    for job in jobs:
        assert job.status == JobStatus.SUCCEEDED, job.error_message
    assert creates_per_job(fake) == Counter({f"avatar-studio-{job.key.hex}": 1 for job in jobs})
    assert len(fake.arrivals) >= 2 * len(jobs)
    assert busiest_window(fake.arrivals, WINDOW) <= LIMIT


# --- the limit, kept ---------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("worker_threads", [20])
def test_twenty_worker_threads_keep_to_the_limit(
    acme, asset_factory, timed_lumenfall, embedded_worker
):
    jobs = [
        wait_for(job, timeout=90)
        for job in request_speeches(asset_factory, acme, JOBS, provider="lumenfall")
    ]

    assert_all_rendered_within_the_limit(jobs, timed_lumenfall)
    # Some requests had to wait for a slot, and none of that counted as a provider failure.
    assert not ProviderCall.objects.filter(ok=False).exists()


def _redis_answers() -> bool:
    try:
        return bool(redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1).ping())
    except redis.RedisError:
        return False


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(not _redis_answers(), reason=f"Redis does not answer at {REDIS_URL}")
def test_worker_processes_share_one_limit_through_redis(
    acme, asset_factory, timed_lumenfall, redis_workers
):
    redis_workers.env |= {
        "LUMENFALL_BASE_URL": f"{timed_lumenfall.url}/v1",
        "LUMENFALL_API_KEY": lumenfall.API_KEY,
        "LUMENFALL_WEBHOOK_SECRET": "",
        "PROVIDER_RATE_LIMITS_JSON": f'{{"lumenfall": {LIMIT}}}',
        # The margin covers the time between taking a slot and the request's arrival. Three
        # processes of four threads on two busy cores (CI runs the suite beside them) have been
        # seen to sit on a slot for over 0.25 s, the default, which suits a network's jitter,
        # and, with two busy loops beside them, for over 0.75 s.
        "PROVIDER_RATE_LIMIT_MARGIN_SECONDS": "1.5",
    }
    jobs = request_speeches(asset_factory, acme, JOBS, provider="lumenfall")
    for _ in range(3):
        redis_workers.start(threads=4)

    jobs = [wait_for(job, timeout=90) for job in jobs]

    assert_all_rendered_within_the_limit(jobs, timed_lumenfall)
    # The count lives in Redis, where every process found it.
    assert redis.Redis.from_url(REDIS_URL).keys(f"{ratelimit.KEY_PREFIX}:lumenfall@*")


# --- waiting for a slot ------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_submit_without_a_slot_waits_its_turn_without_counting_an_attempt(
    acme, asset_factory, timed_lumenfall, settings
):
    settings.PROVIDER_RATE_LIMITS = {"lumenfall": {"requests": 1, "seconds": 60}}
    settings.PROVIDER_RATE_LIMIT_WAIT_SECONDS = 0
    job = request_speech(asset_factory, acme, provider="lumenfall")
    ratelimit.acquire(get_provider("lumenfall"))  # someone else took the only slot

    render.submit(job.pk)

    job.refresh_from_db()
    assert job.status == JobStatus.QUEUED
    assert job.submit_attempts == 0
    assert job.next_step_at is not None
    last = job.events.order_by("-pk").first()
    assert last.from_status == "submitting" and last.to_status == "queued"
    assert "busy with our other requests" in last.message and "Next try in" in last.message
    assert timed_lumenfall.arrivals == []


@pytest.mark.django_db
def test_a_poll_without_a_slot_asks_again_later(acme, asset_factory, timed_lumenfall, settings):
    settings.PROVIDER_RATE_LIMITS = {"lumenfall": {"requests": 1, "seconds": 60}}
    settings.PROVIDER_RATE_LIMIT_WAIT_SECONDS = 0
    job = asset_factory.job(acme, status="submitted", provider_task_id="video_1")
    RenderJob.objects.filter(pk=job.pk).update(provider="lumenfall")
    ratelimit.acquire(get_provider("lumenfall"))

    render.poll(job.pk)

    job.refresh_from_db()
    assert job.status == JobStatus.SUBMITTED
    assert job.next_step_at is not None
    assert not job.events.exists()
    assert timed_lumenfall.arrivals == []


def test_a_provider_without_a_limit_never_waits(settings):
    settings.PROVIDER_RATE_LIMITS = {}
    settings.PROVIDER_RATE_LIMIT_WAIT_SECONDS = 0
    sandbox = get_provider("sandbox")

    for _ in range(100):
        ratelimit.acquire(sandbox)

    assert ratelimit.limiter("sandbox") is None


def test_the_limiter_refuses_the_request_over_the_limit(settings):
    settings.PROVIDER_RATE_LIMITS = {"crun": {"requests": 3, "seconds": 30}}
    settings.PROVIDER_RATE_LIMIT_WAIT_SECONDS = 0
    crun = get_provider("crun")

    for _ in range(3):
        ratelimit.acquire(crun)
    with pytest.raises(ratelimit.Throttled) as throttled:
        ratelimit.acquire(crun)

    assert "3 requests per 30 seconds" in throttled.value.message
    assert 30 <= throttled.value.retry_after <= 60


def test_an_unreachable_shared_counter_holds_requests_back(settings):
    settings.BROKER_URL = "redis://127.0.0.1:1/0"
    settings.PROVIDER_RATE_LIMITS = {"crun": 10}

    with pytest.raises(ratelimit.Throttled) as throttled:
        ratelimit.acquire(get_provider("crun"))

    assert "cannot be reached" in throttled.value.message


# --- settings and the backend ------------------------------------------------------------------


def test_without_redis_the_count_stays_in_this_process(settings):
    settings.BROKER_URL = ""
    settings.CACHE_URL = ""

    assert isinstance(ratelimit.backend(), StubBackend)
    assert ratelimit.backend() is ratelimit.backend()


def test_with_a_redis_broker_every_worker_counts_in_it(settings):
    settings.BROKER_URL = "redis://127.0.0.1:6379/13"
    settings.CACHE_URL = "redis://127.0.0.1:6379/4"

    chosen = ratelimit.backend()

    assert isinstance(chosen, RedisBackend)
    assert chosen.client.connection_pool.connection_kwargs["db"] == 13


def test_with_rabbitmq_the_redis_cache_holds_the_count(settings):
    settings.BROKER_URL = "amqp://guest:guest@127.0.0.1:5672/"
    settings.CACHE_URL = "redis://127.0.0.1:6379/4"

    chosen = ratelimit.backend()

    assert isinstance(chosen, RedisBackend)
    assert chosen.client.connection_pool.connection_kwargs["db"] == 4


def test_limits_read_a_rate_per_second_or_requests_per_window(settings):
    settings.PROVIDER_RATE_LIMITS = {"crun": 8, "replicate": {"requests": 600, "seconds": 60}}

    assert ratelimit.limit_for("crun") == ratelimit.Limit(8, 1.0)
    assert ratelimit.limit_for("replicate") == ratelimit.Limit(600, 60.0)
    assert ratelimit.limit_for("sandbox") is None


@pytest.mark.parametrize("spec", ["fast", {"requests": 5}, 0, {"requests": 1, "seconds": 0}])
def test_a_malformed_limit_is_refused_with_its_name(settings, spec):
    settings.PROVIDER_RATE_LIMITS = {"crun": spec}

    with pytest.raises(ImproperlyConfigured, match="PROVIDER_RATE_LIMITS\\['crun'\\]"):
        ratelimit.limit_for("crun")


def test_the_documented_limits_are_the_defaults():
    from project import settings as defaults

    assert defaults.PROVIDER_RATE_LIMITS["replicate"] == {"requests": 600, "seconds": 60}
    assert "sandbox" not in defaults.PROVIDER_RATE_LIMITS


def test_the_window_counts_in_fine_buckets_with_a_margin():
    window = ratelimit.SlidingWindowLimiter(StubBackend(), "k", limit=5, window=1.0, margin=0.25)

    # 1.25 s in 50 ms buckets, plus the one a stretch may start inside.
    assert window.grain == 50 and window.buckets == 26
    assert len(window._get_keys()) == 26
