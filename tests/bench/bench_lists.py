"""The list pages with 10,000 jobs in one team: `.venv/bin/python -m tests.bench.bench_lists`.

A plain script like run.py: a throwaway SQLite file and media folder in a temp dir, DEBUG
off as in production, migrate, seed, measure, delete the dir. The seed is one team with
10,000 render jobs by default (bulk_create; 20 avatars, 20 scripts with a revision each,
5 voices; half requested by a marketer, half by an editor; ~1,000 succeeded and awaiting
review, the rest approved, failed, canceled or in flight; created over the past weeks).

Each page is requested through Django's test Client by the user who would open it: once to
warm up, then 10 times; the median time and the SQL statements of one request are printed,
next to a trivial view (the live-status feed asked about no job) measured the same way in
the same run. Target: under 200 ms a page. Nothing is asserted.
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import statistics
import sys
import tempfile
import time
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

REQUESTS = 10
TARGET_MS = 200


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=10_000, help="render jobs in the team")
    args = parser.parse_args()
    scratch = Path(tempfile.mkdtemp(prefix="avatar-bench-lists-"))
    try:
        _configure(scratch)
        import django
        from django.core.management import call_command

        django.setup()
        call_command("migrate", verbosity=0, interactive=False)
        print(f"Python {platform.python_version()}, {os.cpu_count()} CPUs, data in {scratch}")
        print(f"load average at start: {_load()} (other work on the machine skews timings)")
        started = time.monotonic()
        people = seed(args.jobs)
        print(f"seeded {args.jobs:,} jobs in {time.monotonic() - started:.1f} s", flush=True)
        _print(measure(people), args.jobs)
        print(f"load average at end: {_load()}")
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def _load() -> str:
    return " ".join(f"{load:.2f}" for load in os.getloadavg())


def _configure(scratch: Path) -> None:
    os.environ.update(
        {
            "DJANGO_SETTINGS_MODULE": "project.settings",
            "DATABASE_URL": f"sqlite:///{scratch / 'bench.sqlite3'}",
            "DEBUG": "0",
            "SECRET_KEY": "benchmark-only-not-secret",
            "MEDIA_STORAGE": "local",
            "MEDIA_ROOT": str(scratch / "media"),
            "SANDBOX_ROOT": str(scratch / "sandbox"),
            "BROKER_URL": "",
            "ALLOWED_HOSTS": "testserver",
            "LOG_LEVEL": "WARNING",
        }
    )


def seed(count: int) -> dict[str, object]:
    """One team's library and `count` jobs; returns the people who open the pages."""
    from django.contrib.auth.models import Group, User
    from django.db import transaction
    from django.utils import timezone

    from avatars import roles
    from avatars.models import (
        Avatar,
        JobStatus,
        RenderJob,
        ReviewStatus,
        Script,
        ScriptRevision,
        Team,
        Voice,
    )

    team = Team.objects.create(name="Bench", slug="bench", monthly_budget=Decimal("1000000"))
    marketer = User.objects.create_user("mia", is_staff=True)
    editor = User.objects.create_user("ed", is_staff=True)
    marketer.groups.add(Group.objects.get(name=roles.MARKETING))
    editor.groups.add(Group.objects.get(name=roles.EDITOR))
    team.members.add(marketer, editor)
    with transaction.atomic():
        avatars = Avatar.objects.bulk_create(
            Avatar(
                team=team,
                name=f"Face {n}",
                original=f"portraits/1/{n}/original.jpg",
                image=f"portraits/1/{n}/image.jpg",
                thumbnail=f"portraits/1/{n}/thumbnail.jpg",
                original_format="JPEG",
                width=600,
                height=800,
                sha256=f"{n:064x}",
            )
            for n in range(20)
        )
        scripts = Script.objects.bulk_create(
            Script(team=team, title=f"Script {n}", text=f"Hello number {n}.") for n in range(20)
        )
        revisions = ScriptRevision.objects.bulk_create(
            ScriptRevision(script=s, number=1, text=s.text, language=s.language) for s in scripts
        )
        voices = Voice.objects.bulk_create(
            Voice(team=team, name=f"Voice {n}", speaker="Kore", language="en-US") for n in range(5)
        )
        now = timezone.now()
        jobs = []
        for n in range(count):
            status, review = _state(n)
            finished = status in (JobStatus.SUCCEEDED, JobStatus.FAILED, JobStatus.CANCELED)
            done = status == JobStatus.SUCCEEDED
            jobs.append(
                RenderJob(
                    team=team,
                    requested_by=marketer if n % 2 else editor,
                    avatar=avatars[n % len(avatars)],
                    script_revision=revisions[n % len(revisions)],
                    voice=voices[n % len(voices)],
                    text="Hello.",
                    provider="sandbox",
                    status=status,
                    review=review,
                    video=f"renders/1/{n}/video.mp4" if done else "",
                    poster=f"renders/1/{n}/poster.jpg" if done else "",
                    duration_seconds=4.0 if done else None,
                    estimated_cost=Decimal("0.1"),
                    cost=Decimal("0.1") if done else None,
                    finished_at=now - timedelta(minutes=count - n) if finished else None,
                )
            )
        created = RenderJob.objects.bulk_create(jobs, batch_size=1000)
        # Spread the rows over the past weeks, oldest first, as a real history would be.
        for n, job in enumerate(created):
            job.created_at = now - timedelta(minutes=count - n)
        RenderJob.objects.bulk_update(created, ["created_at"], batch_size=1000)
    pending = RenderJob.objects.filter(
        status=JobStatus.SUCCEEDED, review=ReviewStatus.PENDING
    ).count()
    print(f"{pending:,} jobs await review")
    return {"marketer": marketer, "editor": editor}


def _state(n: int) -> tuple[str, str]:
    """About 1 in 10 awaiting review, 1 in 100 in flight, the rest reviewed or ended."""
    from avatars.models import JobStatus, ReviewStatus

    if n % 10 == 0:
        return JobStatus.SUCCEEDED, ReviewStatus.PENDING
    if n % 100 == 1:
        return JobStatus.PROCESSING, ReviewStatus.PENDING
    if n % 10 == 3:
        return JobStatus.FAILED, ReviewStatus.PENDING
    if n % 10 == 7:
        return JobStatus.CANCELED, ReviewStatus.PENDING
    return JobStatus.SUCCEEDED, ReviewStatus.APPROVED


PAGES = [
    ("trivial view (status feed, no ids)", "marketer", "/studio/renders/status.json"),
    ("/studio/renders/?who=team", "marketer", "/studio/renders/?who=team"),
    ("/studio/renders/ (mine)", "marketer", "/studio/renders/"),
    ("/review/", "editor", "/review/"),
    ("/admin/avatars/renderjob/", "editor", "/admin/avatars/renderjob/"),
]


def measure(people: dict[str, object]) -> list[tuple[str, float, float, int, int]]:
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    rows = []
    for label, who, path in PAGES:
        client = Client()
        client.force_login(people[who])
        response = client.get(path)
        assert response.status_code == 200, (path, response.status_code)
        with CaptureQueriesContext(connection) as captured:
            client.get(path)
        # Counted now: the next request clears the log the capture reads from.
        queries = len(captured)
        times = []
        for _ in range(REQUESTS):
            started = time.perf_counter()
            response = client.get(path)
            times.append((time.perf_counter() - started) * 1000)
        rows.append((label, statistics.median(times), max(times), queries, len(response.content)))
    return rows


def _print(rows: list[tuple[str, float, float, int, int]], jobs: int) -> None:
    baseline = rows[0][1]
    print()
    print(f"List pages, {jobs:,} jobs in one team: median of {REQUESTS} requests (Django test")
    print(f"Client, SQLite, DEBUG off), SQL statements of one request; target < {TARGET_MS} ms")
    print(f"   {'page':38}{'median ms':>10}{'max ms':>8}{'× trivial':>10}{'queries':>9}{'kB':>6}")
    for label, median, worst, queries, size in rows:
        verdict = "" if median < TARGET_MS else "  over target"
        print(
            f"   {label:38}{median:10.1f}{worst:8.1f}{median / baseline:9.1f}×"
            f"{queries:9d}{size / 1024:6.0f}{verdict}"
        )


if __name__ == "__main__":
    main()
