"""/metrics: the Prometheus exposition, computed from the database and the broker."""

import datetime
from decimal import Decimal

import pytest
import redis
from django.db import connection
from django.utils import timezone
from dramatiq.brokers.redis import RedisBroker
from prometheus_client.parser import text_string_to_metric_families

from avatars import tasks
from avatars.models import CreditEntry, ProviderCall, RenderJob, WorkerHeartbeat
from avatars.providers.base import RateLimited
from avatars.providers.monitoring import Monitored
from tests.brokers import using_broker
from tests.helpers.ports import free_port
from tests.pipeline import REDIS_URL

TOKEN = "scrape-me-please"


@pytest.fixture
def scrape(client, settings, db):
    settings.METRICS_TOKEN = TOKEN

    def get() -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
        response = client.get("/metrics", HTTP_AUTHORIZATION=f"Bearer {TOKEN}")
        assert response.status_code == 200
        assert response["Content-Type"].startswith("text/plain; version=0.0.4")
        return {
            (sample.name, tuple(sorted(sample.labels.items()))): sample.value
            for family in text_string_to_metric_families(response.content.decode())
            for sample in family.samples
        }

    return get


def value(samples, name: str, **labels: str) -> float:
    return samples[(name, tuple(sorted(labels.items())))]


def test_it_is_closed_without_a_token_when_debug_is_off(client, settings, db):
    settings.DEBUG = False
    settings.METRICS_TOKEN = ""

    response = client.get("/metrics")

    assert response.status_code == 403
    assert b"METRICS_TOKEN" in response.content


def test_it_is_open_without_a_token_when_debug_is_on(client, settings, db):
    settings.DEBUG = True
    settings.METRICS_TOKEN = ""

    assert client.get("/metrics").status_code == 200


def test_it_wants_the_bearer_token_when_one_is_set(client, settings, db):
    settings.DEBUG = True
    settings.METRICS_TOKEN = TOKEN

    missing = client.get("/metrics")
    wrong = client.get("/metrics", HTTP_AUTHORIZATION="Bearer guess")
    right = client.get("/metrics", HTTP_AUTHORIZATION=f"Bearer {TOKEN}")

    assert (missing.status_code, wrong.status_code, right.status_code) == (401, 401, 200)
    assert missing["WWW-Authenticate"].startswith("Bearer")


def test_it_counts_jobs_by_status_and_provider(scrape, asset_factory, acme):
    for status in ("succeeded", "succeeded", "failed", "processing"):
        asset_factory.job(acme, status=status)
    crun = asset_factory.job(acme, status="queued")
    RenderJob.objects.filter(pk=crun.pk).update(provider="crun")

    samples = scrape()

    assert value(samples, "avatar_studio_jobs", status="succeeded", provider="sandbox") == 2
    assert value(samples, "avatar_studio_jobs", status="failed", provider="sandbox") == 1
    assert value(samples, "avatar_studio_jobs", status="processing", provider="sandbox") == 1
    assert value(samples, "avatar_studio_jobs", status="queued", provider="crun") == 1
    assert value(samples, "avatar_studio_jobs", status="canceled", provider="lumenfall") == 0


def call(provider: str, operation: str, duration: float, error: str = "", minutes_ago: int = 0):
    ProviderCall.objects.create(
        provider=provider,
        operation=operation,
        ok=not error,
        error_code=error,
        duration=duration,
        created_at=timezone.now() - datetime.timedelta(minutes=minutes_ago),
    )


def test_it_counts_recent_provider_calls_errors_and_latency(scrape, settings):
    settings.METRICS_WINDOW_SECONDS = 300
    call("crun", "submit", 0.2)
    call("crun", "submit", 0.7)
    call("crun", "submit", 3.0, error="rate_limited")
    call("crun", "fetch", 0.04)
    call("crun", "submit", 0.1, error="unavailable", minutes_ago=10)  # outside the window

    samples = scrape()

    calls = "avatar_studio_provider_calls"
    assert value(samples, calls, provider="crun", operation="submit", outcome="ok") == 2
    assert value(samples, calls, provider="crun", operation="submit", outcome="error") == 1
    assert value(samples, calls, provider="crun", operation="fetch", outcome="ok") == 1
    errors = "avatar_studio_provider_errors"
    assert value(samples, errors, provider="crun", error_code="rate_limited") == 1
    assert (errors, (("error_code", "unavailable"), ("provider", "crun"))) not in samples
    bucket = "avatar_studio_provider_latency_seconds_bucket"
    submit = {"provider": "crun", "operation": "submit"}
    assert value(samples, bucket, le="0.1", **submit) == 0
    assert value(samples, bucket, le="0.25", **submit) == 1
    assert value(samples, bucket, le="1.0", **submit) == 2
    assert value(samples, bucket, le="5.0", **submit) == 3
    assert value(samples, bucket, le="+Inf", **submit) == 3
    assert value(samples, "avatar_studio_provider_latency_seconds_gsum", **submit) == pytest.approx(
        3.9
    )
    assert value(samples, "avatar_studio_metrics_window_seconds") == 300


class Slow:
    """A provider whose calls take a known time, to see the duration recorded."""

    name = "crun"

    def __init__(self, fail: bool = False) -> None:
        self.fail = fail

    def fetch(self, task_id: str):
        import time

        time.sleep(0.05)
        if self.fail:
            raise RateLimited("Slow down.")
        return None


def test_provider_calls_record_how_long_they_took(db):
    Monitored(Slow()).fetch("t-1")
    with pytest.raises(RateLimited):
        Monitored(Slow(fail=True)).fetch("t-2")

    durations = list(ProviderCall.objects.order_by("pk").values_list("ok", "duration"))
    assert [ok for ok, _ in durations] == [True, False]
    assert all(0.05 <= seconds < 5 for _, seconds in durations)


def test_it_reports_credits_held_and_charged_this_month(scrape, asset_factory, acme, globex):
    done = asset_factory.job(acme, status="succeeded")
    running = asset_factory.job(acme, status="processing")
    other = asset_factory.job(globex, status="processing")
    last_month = asset_factory.job(acme, status="succeeded")
    entry = CreditEntry.objects.create
    entry(team=acme, job=done, provider="sandbox", kind="hold", amount=Decimal("1.50"))
    entry(team=acme, job=done, provider="sandbox", kind="release", amount=Decimal("-1.50"))
    entry(team=acme, job=done, provider="sandbox", kind="charge", amount=Decimal("1.25"))
    entry(team=acme, job=running, provider="sandbox", kind="hold", amount=Decimal("2.00"))
    entry(team=globex, job=other, provider="sandbox", kind="hold", amount=Decimal("0.75"))
    old = entry(team=acme, job=last_month, provider="sandbox", kind="charge", amount=Decimal("9"))
    backdate(old, days=40)

    samples = scrape()

    assert value(samples, "avatar_studio_credits_held_usd", team="acme") == 2.0
    assert value(samples, "avatar_studio_credits_held_usd", team="globex") == 0.75
    assert value(samples, "avatar_studio_credits_charged_this_month_usd", team="acme") == 1.25
    assert value(samples, "avatar_studio_credits_charged_this_month_usd", team="globex") == 0


def backdate(entry: CreditEntry, days: int) -> None:
    """Move a ledger row into an earlier month (the ledger refuses updates, PostgreSQL's
    trigger included, so the trigger is bypassed for this one statement)."""
    table = CreditEntry._meta.db_table
    when = timezone.now() - datetime.timedelta(days=days)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SET LOCAL session_replication_role = replica")
        cursor.execute(f"UPDATE {table} SET created_at = %s WHERE id = %s", [when, entry.pk])


def test_it_reports_queue_depth_on_the_in_process_broker(scrape, transactional_db):
    # Messages sent directly (not on commit) by earlier tests' approvals may still be queued.
    tasks.submit_job.broker.flush_all()
    tasks.submit_job.send(1)
    tasks.poll_job.send_with_options(args=(1,), delay=60_000)
    try:
        samples = scrape()
    finally:
        tasks.submit_job.broker.flush_all()

    assert value(samples, "avatar_studio_broker_up") == 1
    assert value(samples, "avatar_studio_queue_messages", queue="submits", state="ready") == 1
    assert value(samples, "avatar_studio_queue_messages", queue="polls", state="delayed") == 1
    assert value(samples, "avatar_studio_queue_messages", queue="stores", state="ready") == 0


def test_it_reports_queue_depth_on_redis(scrape):
    redis.Redis.from_url(REDIS_URL).flushdb()
    try:
        with using_broker(RedisBroker(url=REDIS_URL)):
            for job_id in (1, 2, 3):
                tasks.submit_job.send(job_id)
            tasks.store_job.send(4)
            tasks.poll_job.send_with_options(args=(5,), delay=60_000)
            tasks.poll_job.send_with_options(args=(6,), delay=60_000)
            samples = scrape()
    finally:
        redis.Redis.from_url(REDIS_URL).flushdb()

    depth = "avatar_studio_queue_messages"
    assert value(samples, "avatar_studio_broker_up") == 1
    assert value(samples, depth, queue="submits", state="ready") == 3
    assert value(samples, depth, queue="stores", state="ready") == 1
    assert value(samples, depth, queue="polls", state="ready") == 0
    assert value(samples, depth, queue="polls", state="delayed") == 2


def test_it_says_when_the_broker_does_not_answer(scrape):
    port = free_port()
    with using_broker(RedisBroker(url=f"redis://127.0.0.1:{port}/0")):
        samples = scrape()

    assert value(samples, "avatar_studio_broker_up") == 0
    assert not [key for key in samples if key[0] == "avatar_studio_queue_messages"]


def test_it_counts_live_workers_by_queue(scrape, settings):
    settings.WORKER_STALE_SECONDS = 60
    now = timezone.now()
    for pid, queues, age in (
        (1, ["submits"], 1),
        (2, ["submits", "polls"], 2),
        (3, ["stores"], 90),
    ):
        when = now - datetime.timedelta(seconds=age)
        WorkerHeartbeat.objects.create(
            host="w", pid=pid, queues=queues, started_at=when, beat_at=when
        )

    samples = scrape()

    assert value(samples, "avatar_studio_workers_alive", queue="submits") == 2
    assert value(samples, "avatar_studio_workers_alive", queue="polls") == 1
    assert value(samples, "avatar_studio_workers_alive", queue="stores") == 0
