"""Failure drills: real `dramatiq` worker processes on PostgreSQL and Redis, and the parts
they depend on broken on purpose while renders are in flight.

After each drill every job is in exactly one final state, the provider was asked to render
it once, it was charged at most once with its hold settled, and no partial file is left
(tests/drills.py). A killed worker's messages are only redelivered by Redis after a minute,
so a drill runs the reconcile sweep as if that long had passed, as production's sweeper
would, and starts a fresh worker.
"""

import datetime
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.db import connection
from django.utils import timezone

from avatars import render
from avatars.campaigns import sending
from avatars.models import JobStatus, RenderJob
from tests import drills
from tests.fakes.server import VIDEO
from tests.files import mp4_bytes
from tests.helpers.campaigns import campaign, jobs_of, sent_texts
from tests.helpers.jobs import request_speeches, wait_for
from tests.helpers.waiting import wait_until
from tests.pipeline import WorkerProcesses, worker_processes_on

pytestmark = pytest.mark.django_db(transaction=True)

TIMEOUT = 60
IN_FLIGHT = (JobStatus.SUBMITTED, JobStatus.PROCESSING)


@pytest.fixture
def scratch(tmp_path, settings) -> Path:
    """Where workers download results before storing them; the sweep looks here too."""
    settings.RESULT_SCRATCH_DIR = tmp_path / "scratch"
    return settings.RESULT_SCRATCH_DIR


@pytest.fixture
def private_redis(tmp_path) -> Iterator[drills.PrivateRedis]:
    server = drills.PrivateRedis(tmp_path).start()
    yield server
    server.kill()


@pytest.fixture
def workers(fake_crun, private_redis, scratch) -> Iterator[WorkerProcesses]:
    if connection.vendor != "postgresql":
        pytest.skip(
            "failure drills need PostgreSQL (several worker processes writing at once); "
            "CI runs them with DATABASE_URL=postgres://…"
        )
    with worker_processes_on(private_redis.url) as processes:
        processes.env["RESULT_SCRATCH_DIR"] = str(scratch)
        yield processes


def sweep(after: datetime.timedelta) -> dict[str, int]:
    """The reconcile sweep, as if `after` had passed."""
    return render.reconcile(now=timezone.now() + after)


def finish(jobs: list[RenderJob]) -> list[RenderJob]:
    return [wait_for(job, timeout=TIMEOUT) for job in jobs]


# --- kill -9 --------------------------------------------------------------------------------


def test_a_worker_killed_inside_submit(
    acme, asset_factory, fake_crun, workers, media_root, scratch
):
    fake_crun.configure(create_delay=2)
    first = workers.start(threads=4)
    jobs = request_speeches(asset_factory, acme, 3, provider="crun")
    wait_until(lambda: fake_crun.calls["create"] == 3, timeout=TIMEOUT)

    workers.kill(first)

    # Crun got every request and calls back; the jobs adopt the tasks they started.
    wait_until(lambda: all(RenderJob.objects.get(pk=j.pk).provider_task_id for j in jobs))
    assert sweep(datetime.timedelta(minutes=10))[JobStatus.SUBMITTING] == 3
    workers.start()

    drills.assert_settled_once(finish(jobs), fake_crun, media_root, scratch)


def test_a_worker_killed_inside_poll(acme, asset_factory, fake_crun, workers, media_root, scratch):
    proxy = drills.HoldingProxy(fake_crun.url).start()
    workers.env["CRUN_BASE_URL"] = proxy.url
    fake_crun.configure(send_webhook=False, render_delay=0.5)
    proxy.armed.set()
    first = workers.start(threads=4)
    jobs = request_speeches(asset_factory, acme, 2, provider="crun")
    assert proxy.holding.wait(TIMEOUT)

    workers.kill(first)
    proxy.armed.clear()
    proxy.released.set()

    assert all(RenderJob.objects.get(pk=j.pk).status in IN_FLIGHT for j in jobs)
    sweep(datetime.timedelta(minutes=10))
    workers.start()

    drills.assert_settled_once(finish(jobs), fake_crun, media_root, scratch)
    proxy.stop()


def test_a_worker_killed_inside_store_leaves_no_partial_download(
    acme, asset_factory, fake_crun, workers, media_root, scratch
):
    # Large enough that the download writes a first chunk before the stall.
    large = mp4_bytes(seconds=8, size=(640, 360))
    video = drills.StallingVideo(large).start()
    video.stalling.set()
    fake_crun.configure(result_bytes=large, result_url=f"{video.url}/video.mp4")
    first = workers.start()
    (job,) = request_speeches(asset_factory, acme, 1, provider="crun")
    assert video.mostly_sent.wait(TIMEOUT)
    wait_until(lambda: any(p.stat().st_size for p in drills.stored_files(scratch)))

    workers.kill(first)
    video.stalling.clear()

    assert RenderJob.objects.get(pk=job.pk).status == JobStatus.STORING
    assert drills.stored_files(scratch), "the drill should have left half a download"
    assert sweep(datetime.timedelta(hours=1))[JobStatus.STORING] == 1
    workers.start()

    drills.assert_settled_once(finish([job]), fake_crun, media_root, scratch)
    assert len(video.requests) == 2
    video.stop()


# --- Redis and PostgreSQL go away ------------------------------------------------------------


def test_redis_restarted_with_jobs_in_flight(
    acme, asset_factory, fake_crun, workers, private_redis, media_root, scratch
):
    # Without persistence, as a cache-like Redis runs: every queued and delayed message is
    # lost, the harder case; the database still knows every job and the sweep redrives them.
    fake_crun.configure(send_webhook=False, render_delay=2)
    workers.start(threads=4)
    jobs = request_speeches(asset_factory, acme, 3, provider="crun")
    wait_until(
        lambda: all(RenderJob.objects.get(pk=j.pk).status in IN_FLIGHT for j in jobs),
        timeout=TIMEOUT,
    )

    queued = drills.messages_in(private_redis.url)
    private_redis.kill()
    private_redis.start()

    # Workers may write again at once (a fresh poll, a rate-limit count): what was there is gone.
    assert not queued & drills.messages_in(private_redis.url)
    sweep(datetime.timedelta(minutes=10))

    drills.assert_settled_once(finish(jobs), fake_crun, media_root, scratch)


def test_postgresql_refusing_connections_for_a_while(
    acme, asset_factory, fake_crun, workers, media_root, scratch
):
    database = connection.settings_dict
    proxy = drills.RefusingProxy(database["HOST"] or "127.0.0.1", int(database["PORT"] or 5432))
    workers.env["DATABASE_URL"] = (
        f"postgres://{database['USER']}@127.0.0.1:{proxy.port}/{database['NAME']}"
    )
    fake_crun.configure(create_delay=1.5, render_delay=1)
    workers.start(threads=4)
    jobs = request_speeches(asset_factory, acme, 3, provider="crun")
    wait_until(lambda: fake_crun.calls["create"] == 3, timeout=TIMEOUT)

    with proxy.refuse():
        # The answers to the creates arrive now: the workers cannot record them.
        fake_crun.join_requests()
        wait_until(lambda: proxy.refused > 0, timeout=TIMEOUT)

    # The callbacks reach the web process, whose own database connection is fine.
    wait_until(lambda: all(RenderJob.objects.get(pk=j.pk).provider_task_id for j in jobs))
    sweep(datetime.timedelta(minutes=10))

    drills.assert_settled_once(finish(jobs), fake_crun, media_root, scratch)
    proxy.close()


# --- the result store fills up -----------------------------------------------------------------


def test_a_full_result_store_fails_the_job_and_keeps_nothing(
    acme, asset_factory, fake_crun, workers, media_root, scratch
):
    try:
        mounted = drills.tiny_filesystem(media_root, "2m")
        mounted.__enter__()
    except PermissionError as refused:
        pytest.skip(f"cannot mount a small filesystem here (needs root): {refused}")
    try:
        (job,) = request_speeches(asset_factory, acme, 1, provider="crun")
        drills.fill(media_root, leave=len(VIDEO) // 2)
        workers.start()

        job = wait_for(job, timeout=TIMEOUT)

        assert job.error_code == "storage_full"
        assert job.error_message.startswith(
            "The finished video could not be kept: our video storage is full."
        )
        drills.assert_settled_once([job], fake_crun, media_root, scratch, JobStatus.FAILED)
    finally:
        mounted.__exit__(None, None, None)


def test_a_worker_killed_in_the_middle_of_a_campaign_run(
    alice, bob, acme, asset_factory, fake_crun, workers, media_root, scratch
):
    people = [["First Name"], *[[f"Person {n}"] for n in range(1, 9)]]
    made = campaign(asset_factory, acme, alice, people, script="Hello {{first_name}}!")
    first = workers.start(threads=4)
    sending.sample(made.pk, alice, rows=1)
    finish(jobs_of(made))
    sending.approve_sample(made.pk, bob)
    fake_crun.configure(create_delay=1)

    sending.run(made.pk, alice)
    wait_until(lambda: fake_crun.calls["create"] >= 3, timeout=TIMEOUT)
    workers.kill(first)

    # Every render Crun started is adopted from its callback; the rest wait in the queue.
    def adopted() -> bool:
        started = {t.webhook_url.split("/")[-3] for t in fake_crun.tasks.values()}
        known = RenderJob.objects.exclude(provider_task_id="").values_list("pk", flat=True)
        return started <= {str(pk) for pk in known}

    wait_until(adopted, timeout=TIMEOUT)
    sweep(datetime.timedelta(minutes=10))
    workers.start()

    jobs = finish(jobs_of(made))
    assert len(jobs) == 8
    drills.assert_settled_once(jobs, fake_crun, media_root, scratch)
    assert sorted(sent_texts(fake_crun)) == sorted(f"Hello Person {n}!" for n in range(1, 9))
    made.refresh_from_db()
    assert made.status == "finished"
