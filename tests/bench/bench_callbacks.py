"""Callbacks per second through gunicorn on PostgreSQL: `python -m tests.bench.bench_callbacks`.

gunicorn runs with project/gunicorn.conf.py (WORKERS processes × THREADS threads, access log
to /dev/null) against the PostgreSQL database `bench_avatar_studio_callbacks` (created if missing,
its jobs written afresh each run), with Redis db 14 as the broker (BENCH_REDIS_URL), so
each believed callback records a timeline event and enqueues a poll exactly as in
production; nothing consumes the polls and the db is flushed afterwards.

The load: CLIENTS threads, each with its own keep-alive httpx client, send REQUESTS requests
in all: valid Crun callbacks ("running") for JOBS jobs in turn. The baseline is the same
load on the liveness view /healthz, which touches nothing. Printed: requests per second and
the p50/p99 latency of both, and the ratio. Nothing is asserted.
"""

from __future__ import annotations

import json
import os
import signal
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from tests.bench import common  # noqa: E402
from tests.bench.bench_lists import _create_database  # noqa: E402
from tests.helpers.ports import free_port  # noqa: E402

WORKERS, THREADS = 2, 4
CLIENTS = 16
REQUESTS = 4000
JOBS = 500
DATABASE = "bench_avatar_studio_callbacks"


def main() -> None:
    server = os.environ.get("BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432")
    url = f"{server.rstrip('/')}/{DATABASE}"
    _create_database(url)
    redis_url = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/14")
    port = free_port()
    os.environ.update(
        common.environment(
            DATABASE_URL=url,
            DATABASE_CONN_MAX_AGE="60",
            BROKER_URL=redis_url,
            DEFAULT_PROVIDER="crun",
            CRUN_API_KEY="bench",
            CRUN_BASE_URL="http://127.0.0.1:9",
            MEDIA_ROOT=str(Path(os.environ.get("TMPDIR", "/tmp")) / "avatar-bench-callbacks"),
            GUNICORN_BIND=f"127.0.0.1:{port}",
            WEB_CONCURRENCY=str(WORKERS),
            GUNICORN_THREADS=str(THREADS),
        )
    )
    import django
    from django.core.management import call_command

    django.setup()
    call_command("migrate", verbosity=0, interactive=False)
    paths = _seed(JOBS)
    print(f"load average at start: {common.load()}", flush=True)
    gunicorn = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "-c", "project/gunicorn.conf.py"],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        _wait_until_up(f"{base}/healthz")
        _load(base, ["/healthz"], "GET", 200)
        trivial = _load(base, ["/healthz"], "GET", REQUESTS)
        callbacks = _load(base, paths, "POST", REQUESTS)
    finally:
        os.killpg(gunicorn.pid, signal.SIGTERM)
        gunicorn.wait(timeout=30)
        _flush(redis_url)
    _print(trivial, callbacks)
    print(f"load average at end: {common.load()}")


def _seed(count: int) -> list[str]:
    """`count` jobs in "processing" with a Crun task each; their callback paths."""
    from django.db import transaction

    from avatars.models import Avatar, JobEvent, RenderJob, Team

    with transaction.atomic():
        JobEvent.objects.all().delete()
        RenderJob.objects.all().delete()
        Avatar.objects.all().delete()
        team, _ = Team.objects.get_or_create(slug="bench", defaults={"name": "Bench"})
        avatar = Avatar.objects.create(
            team=team, name="Face", original_format="JPEG", width=600, height=800, sha256="0"
        )
        jobs = RenderJob.objects.bulk_create(
            RenderJob(
                team=team,
                avatar=avatar,
                text="Hello.",
                provider="crun",
                provider_task_id=f"task_{n:06d}",
                status="processing",
            )
            for n in range(count)
        )
    return [f"/callbacks/crun/{job.pk}/{job.callback_token}/" for job in jobs]


def _wait_until_up(url: str) -> None:
    for _ in range(300):
        try:
            if httpx.get(url, timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    raise RuntimeError(f"gunicorn did not answer {url} within 30 s")


def _load(base: str, paths: list[str], method: str, total: int) -> dict:
    """`total` requests from CLIENTS threads; requests per second and latencies in ms."""
    latencies: list[float] = []
    failures: list[int] = []
    lock = threading.Lock()

    def client(index: int) -> None:
        mine, bad = [], []
        with httpx.Client(base_url=base, timeout=30) as session:
            for n in range(index, total, CLIENTS):
                path = paths[n % len(paths)]
                task = "task_" + f"{(n % len(paths)):06d}"
                body = {"code": 200, "data": {"task_id": task, "status": "running"}}
                started = time.perf_counter()
                if method == "POST":
                    response = session.post(path, content=json.dumps(body))
                else:
                    response = session.get(path)
                mine.append((time.perf_counter() - started) * 1000)
                if response.status_code != 200:
                    bad.append(response.status_code)
        with lock:
            latencies.extend(mine)
            failures.extend(bad)

    threads = [threading.Thread(target=client, args=(i,)) for i in range(CLIENTS)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=600)
    seconds = time.perf_counter() - started
    cuts = statistics.quantiles(latencies, n=100)
    return {
        "rps": len(latencies) / seconds,
        "p50": cuts[49],
        "p99": cuts[98],
        "failures": len(failures),
        "codes": sorted(set(failures)),
    }


def _flush(redis_url: str) -> None:
    import redis

    redis.Redis.from_url(redis_url).flushdb()


def _print(trivial: dict, callbacks: dict) -> None:
    print()
    print(
        f"Callbacks through gunicorn ({WORKERS} workers × {THREADS} threads) on PostgreSQL: "
        f"{REQUESTS:,} requests from {CLIENTS} clients"
    )
    print(f"   {'':34}{'req/s':>9}{'p50 ms':>9}{'p99 ms':>9}{'failed':>8}")
    for label, figures in (("baseline: GET /healthz", trivial), ("POST Crun callback", callbacks)):
        print(
            f"   {label:34}{figures['rps']:9.0f}{figures['p50']:9.1f}{figures['p99']:9.1f}"
            f"{figures['failures']:8d} {figures['codes'] or ''}"
        )
    ratio = callbacks["rps"] / trivial["rps"]
    print(f"   {'ratio callbacks / baseline':34}{ratio:8.2f}×")
    common.record(
        f"callbacks/s, gunicorn {WORKERS}×{THREADS}, PostgreSQL",
        f"{callbacks['rps']:.0f}/s p50 {callbacks['p50']:.0f} ms p99 {callbacks['p99']:.0f} ms",
        f"{trivial['rps']:.0f}/s p50 {trivial['p50']:.0f} ms (/healthz)",
        f"{ratio:.2f}×",
    )


if __name__ == "__main__":
    main()
