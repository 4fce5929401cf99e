"""Races for money on PostgreSQL: workers settling one job at once, requests racing for the
last dollars of a budget. Each contender runs in a thread of its own, with its own database
connection, and starts at the same instant (a barrier); whatever happens, nothing escapes
as an exception, a job is charged once and a budget is never overspent.

Run with DATABASE_URL=postgres://… (see README); on SQLite these tests are skipped.
"""

import functools
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal
from pathlib import Path
from typing import Any

import dramatiq
import pytest
from django.db import connection, transaction

from avatars import credits, render, video
from avatars.models import CreditEntry, JobStatus, RenderJob
from tests.conftest import stored_files
from tests.files import mp4_bytes
from tests.helpers.jobs import render_request
from tests.helpers.ledger import DOLLAR_A_SECOND, kinds, total

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="needs PostgreSQL: SQLite lets one writer in at a time, so these row-lock "
        "races cannot happen there (set DATABASE_URL=postgres://…)",
    ),
]
K = CreditEntry.Kind
S = JobStatus
ROUNDS = 5  # races per test: one could be won by timing alone


def race(*contenders: Callable[[], Any]) -> list[Any]:
    """Run the contenders in threads released together; what each returned or raised."""
    barrier = threading.Barrier(len(contenders))

    def run(contender: Callable[[], Any]) -> Any:
        try:
            barrier.wait(timeout=10)
            return contender()
        except Exception as error:  # the test asserts there is none
            return error
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=len(contenders)) as pool:
        return list(pool.map(run, contenders))


def storing_job(assets, team, user, **fields: Any) -> RenderJob:
    """A held job (on Crun: a free draft holds nothing) whose video the provider has finished:
    the moment workers settle it."""
    fields = {
        "provider": "crun",
        "estimated_cost": Decimal("0.5000"),
        "cost": Decimal("0.4000"),
        **fields,
    }
    job = assets.job(team, status=S.STORING, requested_by=user, duration_seconds=1.0, **fields)
    with transaction.atomic():
        credits.reserve(job, user)
    return job


def succeed(job: RenderJob, worker: str) -> Callable[[], bool]:
    return lambda: render.transition(
        job.pk, S.SUCCEEDED, allowed_from=[S.STORING], actor=worker, message="Stored."
    )


def test_two_workers_settling_the_same_job_charge_it_once(alice, acme, asset_factory):
    for _ in range(ROUNDS):
        job = storing_job(asset_factory, acme, alice)

        outcomes = race(succeed(job, "worker-1"), succeed(job, "worker-2"))

        assert sorted(outcomes) == [False, True], outcomes
        assert kinds(job) == [K.HOLD, K.RELEASE, K.CHARGE]
        assert total(job) == Decimal("0.4000")
        assert job.events.filter(to_status=S.SUCCEEDED).count() == 1


def test_two_workers_finishing_the_same_video_charge_once_and_keep_one_copy(
    alice, acme, asset_factory, media_root, tmp_path
):
    path = tmp_path / "video.mp4"
    path.write_bytes(mp4_bytes())
    info, poster = video.probe_video(path), video.poster_jpeg(path)
    job = storing_job(asset_factory, acme, alice, cost=None)

    def finish() -> None:
        render.storing._finish(RenderJob.objects.get(pk=job.pk), Path(path), info, poster)

    outcomes = race(finish, finish)

    assert outcomes == [None, None]
    job.refresh_from_db()
    assert job.status == S.SUCCEEDED
    assert job.cost == credits.price(job.provider, job.resolution, info.duration)
    assert kinds(job) == [K.HOLD, K.RELEASE, K.CHARGE] and total(job) == job.cost
    # Both saved a copy (the second under suffixed names); the loser removed its own.
    kept = stored_files(media_root / "renders")
    assert job.captions
    assert sorted(str(f) for f in kept) == sorted(
        [job.video.path, job.poster.path, job.captions.path]
    )


def test_a_cancel_racing_the_success_either_charges_or_releases_never_both(
    alice, bob, acme, asset_factory
):
    for _ in range(ROUNDS):
        job = storing_job(asset_factory, acme, alice)

        stored, canceled = race(
            succeed(job, "storage"), functools.partial(render.cancel, job.pk, bob)
        )

        assert sorted([stored, canceled]) == [False, True]
        job.refresh_from_db()
        if stored:
            assert job.status == S.SUCCEEDED
            assert kinds(job) == [K.HOLD, K.RELEASE, K.CHARGE] and total(job) == job.cost
        else:
            assert job.status == S.CANCELED
            assert kinds(job) == [K.HOLD, K.RELEASE] and total(job) == 0


@pytest.mark.parametrize(("contenders", "affordable"), [(2, 1), (4, 2)])
def test_requests_racing_for_the_last_dollars_never_overspend_the_budget(
    alice, acme, asset_factory, settings, crun_key, contenders, affordable
):
    settings.PROVIDER_PRICES = {**settings.PROVIDER_PRICES, crun_key: DOLLAR_A_SECOND}
    request = render_request(asset_factory, acme, user=alice, provider=crun_key, clip=True)
    estimate = credits.price(crun_key, "720p", request.audio_clip.duration_seconds)
    for _ in range(ROUNDS):
        # Room for `affordable` more renders and 50 cents.
        held = credits.budget_status(acme).committed
        acme.monthly_budget = held + estimate * affordable + Decimal("0.50")
        acme.save()

        try:
            outcomes = race(*[lambda: render.request_render(request)] * contenders)
        finally:
            dramatiq.get_broker().flush_all()  # the winners' submit messages: no worker here

        jobs = [o for o in outcomes if isinstance(o, RenderJob)]
        refused = [o for o in outcomes if isinstance(o, render.RenderRequestError)]
        assert (len(jobs), len(refused)) == (affordable, contenders - affordable), outcomes
        assert all(list(r.errors) == ["budget"] and "only $0.50 of" in str(r) for r in refused)
        holds = CreditEntry.objects.filter(kind=K.HOLD, job__in=jobs)
        assert holds.count() == affordable
        status = credits.budget_status(acme)
        assert status.committed == held + estimate * affordable <= status.budget
    assert RenderJob.objects.count() == CreditEntry.objects.count() == ROUNDS * affordable
