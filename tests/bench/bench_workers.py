"""Jobs per minute through 1, 2 and 4 `dramatiq` processes: `python -m tests.bench.bench_workers`.

Redis db 14 (BENCH_REDIS_URL) is the broker, PostgreSQL `bench_avatar_studio_workers` the
database (created if missing, emptied each run), the provider a zero-latency fake Crun in
this process (InstantCrun, tests/fakes/crun.py); polls go out without delay and Crun's rate
limit (10 requests/s by default) is lifted. For each process count, JOBS renders are requested
through render.request_render with no worker running (their submit messages wait in
Redis); then `dramatiq --processes N --threads THREADS` starts, and the clock runs from
the first job leaving "queued" to the last one finishing. The baseline is the 1-process
figure. Nothing is asserted.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from tests.bench import common  # noqa: E402
from tests.bench.bench_lists import _create_database  # noqa: E402
from tests.fakes.crun import API_KEY, InstantCrun  # noqa: E402
from tests.helpers.videos import tiny_mp4  # noqa: E402

PROCESSES = (1, 2, 4)
THREADS = 4
JOBS = 200
DATABASE = "bench_avatar_studio_workers"
DEADLINE_SECONDS = 600


def main() -> None:
    server = os.environ.get("BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432")
    url = f"{server.rstrip('/')}/{DATABASE}"
    _create_database(url)
    redis_url = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/14")
    fake = InstantCrun(tiny_mp4()).start()
    scratch = Path(tempfile.mkdtemp(prefix="avatar-bench-workers-"))
    os.environ.update(
        common.environment(
            DATABASE_URL=url,
            BROKER_URL=redis_url,
            DEFAULT_PROVIDER="crun",
            CRUN_API_KEY=API_KEY,
            CRUN_BASE_URL=fake.url,
            FETCH_ALLOW_PRIVATE="1",
            MEDIA_ROOT=str(scratch / "media"),
            RESULT_SCRATCH_DIR=str(scratch / "downloads"),
            POLL_FIRST_SECONDS="0",
            # The default 10 requests/s for Crun would cap every run at ~300 jobs/min.
            PROVIDER_RATE_LIMITS_JSON='{"crun": 100000}',
            # The sweep would re-drive jobs that wait in Redis for a worker to start.
            RECONCILE_EVERY_SECONDS="3600",
        )
    )
    import django
    from django.core.management import call_command

    django.setup()
    call_command("migrate", verbosity=0, interactive=False)
    print(f"load average at start: {common.load()}", flush=True)
    try:
        results = {n: _run(n, redis_url) for n in PROCESSES}
    finally:
        fake.stop()
        shutil.rmtree(scratch, ignore_errors=True)
    _print(results)
    print(f"load average at end: {common.load()}")


def _run(processes: int, redis_url: str) -> dict:
    import redis
    from django.db import transaction

    from avatars import render
    from avatars.models import JobStatus, RenderJob, Team
    from tests.bench.bench_pipeline import render_request

    redis.Redis.from_url(redis_url).flushdb()
    _empty()
    request = render_request(Team.objects.create(name="Bench", slug=f"bench-{processes}"))
    for _ in range(JOBS):
        with transaction.atomic():
            render.request_render(request)
    worker = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "dramatiq",
            "django_dramatiq.setup",
            "avatars.tasks",
            "--processes",
            str(processes),
            "--threads",
            str(THREADS),
        ],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    jobs = RenderJob.objects.all()
    try:
        launched = time.monotonic()
        while not jobs.exclude(status=JobStatus.QUEUED).exists():
            _give_up_after(launched)
            time.sleep(0.02)
        first = time.monotonic()
        while jobs.exclude(status__in=[JobStatus.SUCCEEDED, JobStatus.FAILED]).exists():
            _give_up_after(launched)
            time.sleep(0.05)
        done = time.monotonic()
    finally:
        os.killpg(worker.pid, signal.SIGTERM)
        worker.wait(timeout=60)
    succeeded = jobs.filter(status=JobStatus.SUCCEEDED).count()
    seconds = done - first
    return {
        "seconds": seconds,
        "startup": first - launched,
        "per_minute": JOBS / seconds * 60,
        "succeeded": succeeded,
    }


def _give_up_after(launched: float) -> None:
    if time.monotonic() - launched > DEADLINE_SECONDS:
        raise RuntimeError(f"the workers did not finish {JOBS} jobs in {DEADLINE_SECONDS} s")


def _empty() -> None:
    """Every team and all that hangs off it: jobs, ledger, library."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("TRUNCATE avatars_team CASCADE")


def _print(results: dict[int, dict]) -> None:
    base = results[PROCESSES[0]]["per_minute"]
    print()
    print(
        f"Jobs through dramatiq workers on Redis and PostgreSQL: {JOBS} jobs each, "
        f"{THREADS} threads a process, zero-latency fake Crun, {os.cpu_count()} CPUs"
    )
    print(f"   {'processes':12}{'jobs/min':>10}{'seconds':>9}{'start s':>9}{'× 1':>7}{'ok':>6}")
    for processes, figures in results.items():
        ratio = figures["per_minute"] / base
        print(
            f"   {processes:<12}{figures['per_minute']:10.0f}{figures['seconds']:9.1f}"
            f"{figures['startup']:9.1f}{ratio:6.2f}×{figures['succeeded']:6d}"
        )
        if processes != PROCESSES[0]:
            common.record(
                f"jobs/min, {processes} dramatiq processes",
                f"{figures['per_minute']:.0f}/min",
                f"{base:.0f}/min (1 process)",
                f"{ratio:.2f}×",
            )


if __name__ == "__main__":
    main()
