"""Memory while storing a big result: render.store against plain streaming, each in a fresh process.

The parent serves the file from disk (sendfile, so its own memory is not involved) and puts
jobs in the "storing" state; each measurement runs in a child process of its own that has
loaded the same modules, resets its peak RSS (/proc/self/clear_refs), does the one thing and
reports the peak. A job is put in the "storing" state by hand because the steps before it
do not depend on the file's size.
"""

from __future__ import annotations

import contextlib
import json
import os
import resource
import subprocess
import sys
import time
import tracemalloc
from pathlib import Path

import httpx

from avatars import fetch, render
from avatars.models import JobStatus, RenderJob

ROOT = Path(__file__).resolve().parents[2]
KB = 1024
MB = 1024 * 1024


def measure_in_child(*args: str) -> dict:
    """Run `run.py --child …` in a new interpreter and return the JSON it prints last."""
    done = subprocess.run(
        [sys.executable, "-m", "tests.bench.run", "--child", *args],
        cwd=ROOT,
        env=os.environ,
        capture_output=True,
        text=True,
        timeout=1200,
        check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(f"child {args} failed:\n{done.stdout}\n{done.stderr}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def storing_job(request: render.RenderRequest, url: str) -> int:
    """A requested job moved straight to "storing", with `url` as the provider's result."""
    job = render.request_render(request)
    RenderJob.objects.filter(pk=job.pk).update(status=JobStatus.STORING, result_url=url)
    return job.pk


# --- in the child -----------------------------------------------------------------------------


def child(kind: str, target: str) -> dict:
    """Measure one operation in this fresh process; Django is already set up by run.py."""
    if kind == "store-tracemalloc":
        tracemalloc.start()
    before = _reset_peak()
    ru_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    started = time.perf_counter()
    if kind == "baseline":
        with (
            open(os.devnull, "wb") as sink,
            httpx.Client(timeout=30) as client,
            client.stream("GET", target) as response,
        ):
            size = 0
            for chunk in response.iter_raw(fetch.CHUNK_BYTES):
                size += len(chunk)
                sink.write(chunk)
        outcome = f"{size} bytes"
    else:
        render.store(int(target))
        job = RenderJob.objects.get(pk=int(target))
        outcome = f"{job.status} {job.error_message}".strip()
        size = job.video.size if job.video else 0
    seconds = time.perf_counter() - started
    result = {
        "kind": kind,
        "outcome": outcome,
        "bytes": size,
        "seconds": seconds,
        "rss_before_kb": before,
        "peak_kb": _status_kb("VmHWM"),
        "ru_maxrss_before_kb": ru_before,
        "ru_maxrss_after_kb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
    }
    if kind == "store-tracemalloc":
        result["tracemalloc_peak_kb"] = tracemalloc.get_traced_memory()[1] // KB
        tracemalloc.stop()
    return result


def _reset_peak() -> int:
    """Start the process's peak-RSS count afresh from now; the current RSS in KiB."""
    # Without it (not Linux) the peak includes start-up, as ru_maxrss would.
    with contextlib.suppress(OSError):
        Path("/proc/self/clear_refs").write_text("5")
    return _status_kb("VmRSS")


def _status_kb(field: str) -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(f"{field}:"):
            return int(line.split()[1])
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
