"""Run the benchmarks and print their figures: `.venv/bin/python tests/bench/run.py [--only NAME]`.

`make bench` runs them all, `make bench ONLY=lists` one of them (names in BENCHES). The
pipeline and memory benchmarks run here; the others are modules of their own, run in a
process each (bench_callbacks, bench_workers, bench_lists, bench_ledger, bench_draft,
bench_campaigns), and each hands its figures to common.record for the summary table
printed at the end.

A plain script rather than pytest: pytest-django would put its database in the project's
shared test-db.sqlite3, and a benchmark must not race another test run there. This script
sets the environment before Django loads (a throwaway SQLite file and media folder in a
temp dir, the "crun" provider pointed at a zero-latency fake on 127.0.0.1, the in-process
broker, DEBUG off as in production), migrates, measures, and deletes the temp dir.
Timings are printed with a baseline measured in the same run, never asserted.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from tests.bench import common  # noqa: E402
from tests.fakes.crun import API_KEY, InstantCrun  # noqa: E402
from tests.helpers.videos import tiny_mp4  # noqa: E402

BENCHES = ("pipeline", "memory", "callbacks", "workers", "lists", "ledger", "draft", "campaigns")
FREE_DISK_NEEDED = 5 * 1000**3


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", choices=BENCHES, help="run this benchmark alone")
    parser.add_argument("--jobs", type=int, default=1000, help="jobs through the pipeline")
    parser.add_argument(
        "--result-bytes", type=int, default=2_000_000_000, help="size of the big result"
    )
    parser.add_argument("--child", nargs=2, metavar=("KIND", "TARGET"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        _setup_django()
        from tests.bench.bench_memory import child

        print(json.dumps(child(*args.child)))
        return
    chosen = [args.only] if args.only else list(BENCHES)
    scratch = Path(tempfile.mkdtemp(prefix="avatar-bench-"))
    os.environ["BENCH_SUMMARY"] = str(scratch / "summary.jsonl")
    print(f"Python {platform.python_version()}, {os.cpu_count()} CPUs, data in {scratch}")
    print(f"load average at start: {common.load()} (other work on the machine skews timings)")
    video = tiny_mp4()
    fake = InstantCrun(video).start()
    try:
        if {"pipeline", "memory"} & set(chosen):
            _configure(scratch, fake.url)
            _setup_django(migrate=True)
        if "pipeline" in chosen:
            _print_pipeline(_pipeline(fake, args.jobs), len(video))
        if "memory" in chosen:
            memory = _memory(fake, scratch, args.result_bytes)
            if memory:
                _print_memory(memory)
        for number, name in enumerate(chosen, start=1):
            if name not in ("pipeline", "memory"):
                print(f"\n{number}. tests/bench/bench_{name}.py", flush=True)
                subprocess.run(
                    [sys.executable, "-m", f"tests.bench.bench_{name}"], cwd=ROOT, check=True
                )
        common.print_table(Path(os.environ["BENCH_SUMMARY"]))
        print(f"\nload average at end: {common.load()}")
    finally:
        fake.stop()
        shutil.rmtree(scratch, ignore_errors=True)


def _configure(scratch: Path, crun_url: str) -> None:
    os.environ.update(
        common.environment(
            DATABASE_URL=f"sqlite:///{scratch / 'bench.sqlite3'}",
            MEDIA_ROOT=str(scratch / "media"),
            SANDBOX_ROOT=str(scratch / "sandbox"),
            RESULT_SCRATCH_DIR=str(scratch / "downloads"),
            DEFAULT_PROVIDER="crun",
            CRUN_API_KEY=API_KEY,
            CRUN_BASE_URL=crun_url,
            PUBLIC_BASE_URL="http://127.0.0.1:8000",
            FETCH_ALLOW_PRIVATE="1",
            # The default 10 requests/s for Crun would measure the limiter, not the pipeline.
            PROVIDER_RATE_LIMITS_JSON='{"crun": 100000}',
        )
    )


def _setup_django(migrate: bool = False) -> None:
    import django

    django.setup()
    if migrate:
        from django.core.management import call_command

        call_command("migrate", verbosity=0, interactive=False)


def _pipeline(fake: InstantCrun, jobs: int) -> dict:
    from avatars.models import Team
    from tests.bench import bench_pipeline as bench

    request = bench.render_request(Team.objects.create(name="Bench", slug="bench"))
    bench.run_pipeline(request, 20)
    bench.run_baseline(fake, 20)
    print(f"pipeline: {jobs} jobs, baseline before and after…", flush=True)
    before = bench.run_baseline(fake, jobs)
    run = bench.run_pipeline(request, jobs)
    after = bench.run_baseline(fake, jobs)
    queries = bench.queries_per_job(request, 5)
    return {"jobs": jobs, "before": before, "after": after, "run": run, "queries": queries}


def _memory(fake: InstantCrun, scratch: Path, size: int) -> dict | None:
    from avatars.models import RenderJob, Team
    from tests.bench import bench_memory as bench
    from tests.bench.bench_pipeline import render_request

    free = shutil.disk_usage(scratch).free
    if free < FREE_DISK_NEEDED:
        print(f"\nmemory: skipped, {free / 1e9:.1f} GB free where 5 GB are needed", flush=True)
        return None
    print(f"memory: streaming a generated {size / 1e9:.1f} GB MP4, three times…", flush=True)
    url = fake.generated_url(size)
    request = render_request(Team.objects.create(name="Memory", slug="memory"))
    results = {"baseline": bench.measure_in_child("baseline", url)}
    for kind in ("store", "store-tracemalloc"):
        job_id = bench.storing_job(request, url)
        results[kind] = bench.measure_in_child(kind, str(job_id))
        # Two gigabytes a run: gone before the next one.
        RenderJob.objects.get(pk=job_id).video.delete(save=False)
    return results


def _print_pipeline(pipeline: dict, video_bytes: int) -> None:
    jobs, run = pipeline["jobs"], pipeline["run"]
    baseline = (pipeline["before"] + pipeline["after"]) / 2
    per_job = 1000 / jobs
    print()
    print(f"1. Pipeline overhead: {jobs} jobs, request_render → submit → poll → store,")
    print(f"   direct calls in one thread, zero-latency fake Crun, {video_bytes:,}-byte MP4 result")
    print(f"   {'':34}{'total s':>10}{'ms/job':>10}")
    rows = [
        ("baseline httpx loop (before)", pipeline["before"]),
        ("baseline httpx loop (after)", pipeline["after"]),
        ("baseline (mean)", baseline),
        ("pipeline", run.seconds),
        *((f"  {phase}", seconds) for phase, seconds in run.phases.items()),
    ]
    for name, seconds in rows:
        print(f"   {name:34}{seconds:10.2f}{seconds * per_job:10.2f}")
    overhead = (run.seconds - baseline) * per_job
    print(f"   {'overhead per job':34}{'':10}{overhead:10.2f}")
    print(f"   {'ratio pipeline / baseline':34}{'':10}{run.seconds / baseline:9.1f}×")
    print(f"   jobs succeeded: {run.succeeded}/{jobs}", *run.failures, sep="\n   ")
    print("   SQL statements per job (mean of 5 jobs; TX = BEGIN/SAVEPOINT/RELEASE):")
    total = 0.0
    for phase, kinds in pipeline["queries"].items():
        count = sum(kinds.values())
        total += count
        detail = ", ".join(f"{kind} {n:g}" for kind, n in sorted(kinds.items()))
        print(f"     {phase:16}{count:6g}   ({detail})")
    print(f"     {'total':16}{total:6g}")
    common.record(
        "pipeline: ms per job, one thread",
        f"{run.seconds * per_job:.2f} ms",
        f"{baseline * per_job:.2f} ms (httpx loop)",
        f"{run.seconds / baseline:.1f}×",
    )


def _print_memory(memory: dict) -> None:
    base, store = memory["baseline"], memory["store"]
    print()
    print(f"2. Memory storing a {base['bytes'] / 1e6:.0f} MB result, each in a fresh process")
    print(f"   {'':38}{'peak RSS MB':>12}{'growth MB':>11}{'s':>7}")
    for name, result in (
        ("baseline: httpx stream → /dev/null", base),
        ("render.store (download+probe+save)", store),
    ):
        peak = result["peak_kb"] / 1024
        growth = (result["peak_kb"] - result["rss_before_kb"]) / 1024
        print(f"   {name:38}{peak:12.1f}{growth:11.1f}{result['seconds']:7.1f}")
    base_growth = max(base["peak_kb"] - base["rss_before_kb"], 1)
    peak_ratio = f"{store['peak_kb'] / base['peak_kb']:.2f}×"
    growth_ratio = f"{(store['peak_kb'] - store['rss_before_kb']) / base_growth:.1f}×"
    print(f"   {'ratio store / baseline':38}{peak_ratio:>12}{growth_ratio:>11}")
    traced = memory["store-tracemalloc"]
    print(f"   render.store outcome: {store['outcome']}, stored {store['bytes']:,} bytes")
    common.record(
        f"memory: peak RSS storing {base['bytes'] / 1e9:.1f} GB",
        f"{store['peak_kb'] / 1024:.0f} MB",
        f"{base['peak_kb'] / 1024:.0f} MB (httpx to /dev/null)",
        peak_ratio,
    )
    print(
        "   Python allocations at peak during render.store (tracemalloc, separate run): "
        f"{traced['tracemalloc_peak_kb'] / 1024:.1f} MB"
    )
    # Linux carries the forking parent's peak through exec into the child's ru_maxrss, so
    # the peak above is read from VmHWM after resetting it; ru_maxrss is shown for reference.
    print(
        "   ru_maxrss of the store process before → after (floored by the parent's RSS at fork): "
        f"{store['ru_maxrss_before_kb'] / 1024:.1f} → {store['ru_maxrss_after_kb'] / 1024:.1f} MB"
    )


if __name__ == "__main__":
    started = time.monotonic()
    main()
    if "--child" not in sys.argv:
        print(f"\n(benchmarks took {time.monotonic() - started:.0f} s)")
