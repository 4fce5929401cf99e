"""Campaigns of 10,000 people: `.venv/bin/python -m tests.bench.bench_campaigns`.

A plain script like run.py: it points Django at a throwaway SQLite file and media folder in
a temp dir, with "crun" as the paid provider (a dummy key, so it counts as configured, and
no rate limit; nothing ever calls it: no worker runs, the stub broker only queues messages
and is flushed after), migrates, seeds one team (a budget no run reaches, no approval
threshold), measures, and deletes the dir.

Measured, each printed beside a baseline from the same run where there is one:
1. the import of a 10,000-row CSV (first_name, last_name, company, email; 1 row in 100
   repeats an earlier person in other case and spacing, 1 in 100 has no first name, 1 in
   250 an over-long company): importing.plan (read, check, dedupe, price) + importing.create,
   against csv.DictReader over the same bytes + bulk_create of the same rows as CampaignRow
   values; median seconds of REPEATS runs, then tracemalloc's peak in a separate run;
2. sending.run on a campaign of 10,000 valid rows whose status is set to approved directly
   (no sample is rendered): SQL statements (counted by a connection execute_wrapper, by
   kind) in all and per row, and seconds, the submit messages queued on commit included;
3. the campaign page (GET studio:campaign, Django's test Client, a Marketing member of the
   team) for a 100-row and a 10,000-row campaign, both run, a third of their rows finished
   with a live share link and a tenth failed: the queries of one request and the median of
   REQUESTS requests, with the ratio; then each statement's median time at both sizes;
4. the ZIP of 1,000 finished videos (random bytes stored in each job's `video`) from
   export.videos_zip, consumed a chunk at a time and kept nowhere: bytes, seconds and
   tracemalloc's peak in a separate run, and the archive checked by zipfile once written out.
Nothing is asserted. `--profile` prints where the import's and the run's time goes (cProfile).
"""

from __future__ import annotations

import argparse
import cProfile
import csv
import io
import os
import platform
import pstats
import random
import shutil
import statistics
import struct
import sys
import tempfile
import time
import tracemalloc
import zipfile
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from tests.bench import common  # noqa: E402

REPEATS = 3
REQUESTS = 15
MB = 1024 * 1024
HEADERS = ["first_name", "last_name", "company", "email"]
SCRIPT = (
    "Hi {{first_name}}! I'm recording this for you and everyone at {{company|your team}}. "
    "{{first_name}} {{last_name|}}, we built Avatar Studio so that a team can send a short, "
    "personal video to each of the people it works with, without a camera. Reply to this "
    "message and we will set up a call."
)
FIRST = ["Priya", "Lars", "Ana", "Chen", "Sam", "Amara", "Jonas", "Mei", "Diego", "Fatima"]
LAST = ["Patel", "Berg", "Silva", "Wang", "Okafor", "Novak", "Kim", "Rossi", "Haddad", "Lund"]
COMPANIES = ["Initech", "Globex", "Hooli", "Acme", "Umbrella", "Stark", "Wayne", "Tyrell"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=10_000, help="rows imported and sent")
    parser.add_argument("--small-rows", type=int, default=100, help="rows of the small page")
    parser.add_argument("--videos", type=int, default=1_000, help="videos in the ZIP")
    parser.add_argument("--video-bytes", type=int, default=300_000, help="size of each video")
    parser.add_argument("--profile", action="store_true", help="cProfile the import and the run")
    args = parser.parse_args()
    scratch = Path(tempfile.mkdtemp(prefix="avatar-bench-campaigns-"))
    try:
        _configure(scratch)
        import django
        from django.core.management import call_command

        django.setup()
        call_command("migrate", verbosity=0, interactive=False)
        print(f"Python {platform.python_version()}, {os.cpu_count()} CPUs, data in {scratch}")
        print(f"load average at start: {common.load()} (other work on the machine skews timings)")
        print(f"database: {_database()}")
        world = seed()
        _print_import(args.rows, measure_import(world, args.rows, args.profile))
        sent, big = measure_sending(world, args.rows, args.profile)
        _print_sending(sent)
        small = _sent_campaign(world, args.small_rows)
        _print_page(measure_page(world, small, big))
        _print_zip(measure_zip(world, args.videos, args.video_bytes, scratch))
        print(f"\nload average at end: {common.load()}")
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def _configure(scratch: Path) -> None:
    os.environ.update(
        common.environment(
            DATABASE_URL=f"sqlite:///{scratch / 'bench.sqlite3'}",
            MEDIA_ROOT=str(scratch / "media"),
            DEFAULT_PROVIDER="crun",
            CRUN_API_KEY="bench-only-never-sent",
            CRUN_BASE_URL="http://127.0.0.1:9",
            PROVIDER_RATE_LIMITS_JSON='{"crun": null}',
        )
    )


def _database() -> str:
    from django.db import connection

    if connection.vendor == "sqlite":
        import sqlite3

        return f"SQLite {sqlite3.sqlite_version}, file {connection.settings_dict['NAME']}"
    return f"{connection.vendor} {connection.settings_dict['NAME']}"


# --- seeding ----------------------------------------------------------------------------------


@dataclass
class World:
    team: Any
    member: Any  # Marketing: uploads, runs, opens the page
    editor: Any  # approved every sample, in the benchmark's say-so
    avatar: Any
    voice: Any
    script: Any


def seed() -> World:
    import datetime

    from django.contrib.auth.models import Group, User
    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.utils import timezone

    from avatars import media, roles
    from avatars.library import attach_portrait
    from avatars.models import Avatar, Script, Team, Voice
    from avatars.scripts import save_with_revision
    from tests.files import portrait_bytes

    team = Team.objects.create(
        name="Bench", slug="bench", monthly_budget=Decimal("10000000"), approval_threshold=None
    )
    people = []
    for name, role in (("mia", roles.MARKETING), ("ed", roles.EDITOR)):
        user = User.objects.create_user(name)
        user.groups.add(Group.objects.get(name=role))
        team.members.add(user)
        people.append(user)
    upload = SimpleUploadedFile("p.jpg", portrait_bytes(size=(300, 400)))
    avatar = Avatar(
        team=team,
        name="Grace",
        consent_person="Grace",
        consent_scope="any",
        consent_expires=timezone.localdate() + datetime.timedelta(days=30),
    )
    attach_portrait(avatar, media.prepare_portrait(upload))
    avatar.save()
    voice = Voice.objects.create(team=team, name="Host", speaker="Kore", language="en-US")
    script = Script(team=team, title="Welcome", text=SCRIPT)
    save_with_revision(script, None)
    return World(team, people[0], people[1], avatar, voice, script)


def people_csv(rows: int, *, messy: bool = True) -> bytes:
    """A list of `rows` people; messy: with repeats and invalid rows among them."""
    rng = random.Random(14)
    lines = [HEADERS]
    for i in range(rows):
        if messy and i % 100 == 99:
            earlier = lines[rng.randrange(1, len(lines))]
            lines.append([f"  {cell.upper()} " for cell in earlier])
            continue
        first, last = FIRST[i % len(FIRST)], LAST[(i // len(FIRST)) % len(LAST)]
        company = COMPANIES[rng.randrange(len(COMPANIES))]
        email = f"{first}.{last}.{i}@example.com".lower()
        if messy and i % 100 == 50:
            first = ""
        if messy and i % 250 == 125:
            company = "Very Long Company Name " * 12
        lines.append([first, last, company, email])
    out = io.StringIO()
    csv.writer(out, lineterminator="\r\n").writerows(lines)
    return out.getvalue().encode()


def _import(world: World, data: bytes, name: str) -> tuple[Any, float, float]:
    """importing.plan then importing.create, as the studio's preview and create do; the
    campaign and the seconds of each."""
    from avatars.campaigns import importing

    started = time.perf_counter()
    planned = importing.plan(
        team=world.team,
        name=name,
        avatar=world.avatar,
        script=world.script,
        voice=world.voice,
        data=data,
        filename="people.csv",
        provider="crun",
    )
    planned_at = time.perf_counter()
    campaign = importing.create(planned, world.member)
    return campaign, planned_at - started, time.perf_counter() - planned_at


def _shell(world: World, name: str) -> Any:
    from avatars.models import Campaign

    return Campaign.objects.create(
        team=world.team,
        name=name,
        avatar=world.avatar,
        script_revision=world.script.revisions.latest("number"),
        voice=world.voice,
        provider="crun",
        columns=HEADERS,
    )


def _baseline_import(campaign: Any, data: bytes) -> None:
    """The least an import can do: parse the CSV and write each row's values."""
    from django.db import transaction

    from avatars.models import CampaignRow

    with transaction.atomic():
        reader = csv.DictReader(io.StringIO(data.decode("utf-8")))
        rows = [
            CampaignRow(campaign=campaign, number=number, values=values, verdict="valid")
            for number, values in enumerate(reader, start=2)
        ]
        CampaignRow.objects.bulk_create(rows, batch_size=1000)


def _peak_mb(run: Callable[[], Any]) -> float:
    """tracemalloc's peak of Python allocations during `run`, above what was there before."""
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        tracemalloc.reset_peak()
        run()
        return (tracemalloc.get_traced_memory()[1] - before) / MB
    finally:
        tracemalloc.stop()


# --- 1. import --------------------------------------------------------------------------------


def measure_import(world: World, rows: int, profile: bool) -> dict[str, Any]:
    from avatars.models import CampaignRow

    data = people_csv(rows)
    _import(world, people_csv(50), "warm-up")
    _baseline_import(_shell(world, "warm-up baseline"), people_csv(50))
    plans, creates, baselines = [], [], []
    for n in range(REPEATS):
        shell = _shell(world, f"baseline {n}")
        started = time.perf_counter()
        _baseline_import(shell, data)
        baselines.append(time.perf_counter() - started)
        campaign, planned, created = _import(world, data, f"import {n}")
        plans.append(planned)
        creates.append(created)
    verdicts = Counter(campaign.rows.values_list("verdict", flat=True))
    totals = [p + c for p, c in zip(plans, creates, strict=True)]
    figures = {
        "bytes": len(data),
        "verdicts": dict(verdicts),
        "baseline": statistics.median(baselines),
        "plan": statistics.median(plans),
        "create": statistics.median(creates),
        "import": statistics.median(totals),
        "import_peak": _peak_mb(lambda: _import(world, data, "traced")),
        "baseline_peak": _peak_mb(lambda: _baseline_import(_shell(world, "traced b"), data)),
        "rows_written": CampaignRow.objects.filter(campaign=campaign).count(),
    }
    if profile:
        _profile("import", _import, world, data, "profiled")
    return figures


def _profile(label: str, call: Callable, *args: Any) -> None:
    profiler = cProfile.Profile()
    profiler.runcall(call, *args)
    print(f"\n{label}, cProfile by own time (tottime):")
    pstats.Stats(profiler).sort_stats("tottime").print_stats(20)
    print(f"{label}, cProfile by cumulative time:")
    pstats.Stats(profiler).sort_stats("cumulative").print_stats(30)


def _print_import(rows: int, f: dict[str, Any]) -> None:
    ratio = f["import"] / f["baseline"]
    print()
    print(
        f"1. Import of a {rows:,}-row CSV ({f['bytes'] / 1024:,.0f} KB; "
        + ", ".join(f"{n:,} {v}" for v, n in sorted(f["verdicts"].items()))
        + f"), median of {REPEATS}"
    )
    print(f"   {'':48}{'seconds':>9}{'× base':>8}{'peak MB':>9}")
    lines = [
        ("baseline: csv.DictReader + bulk_create values", f["baseline"], f["baseline_peak"]),
        ("importing.plan + importing.create", f["import"], f["import_peak"]),
        ("  plan (read, check, dedupe, price)", f["plan"], None),
        ("  create (campaign + rows, one transaction)", f["create"], None),
    ]
    for label, seconds, peak in lines:
        shown = f"{peak:9.1f}" if peak is not None else ""
        print(f"   {label:48}{seconds:9.3f}{seconds / f['baseline']:8.2f}{shown}")
    print(
        f"   goals: ≤ 2× the baseline ({ratio:.2f}×), ≤ 50 MB peak growth "
        f"({f['import_peak']:.1f} MB, tracemalloc, separate run)"
    )
    common.record(
        f"campaigns: import {rows:,} rows",
        f"{f['import']:.2f} s, {f['import_peak']:.0f} MB peak",
        f"{f['baseline']:.2f} s (DictReader + bulk_create)",
        f"{ratio:.2f}×",
    )


# --- 2. sending -------------------------------------------------------------------------------


class _Statements:
    """A connection execute_wrapper that counts statements by their first word and keeps
    each one's SQL and seconds."""

    def __init__(self) -> None:
        self.kinds: Counter[str] = Counter()
        self.timed: list[tuple[str, float]] = []

    def __call__(self, execute: Callable, sql: str, params: Any, many: bool, context: Any) -> Any:
        self.kinds[sql.lstrip().split(None, 1)[0].upper()] += 1
        started = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            self.timed.append((sql, time.perf_counter() - started))


def _approve(world: World, campaign: Any) -> None:
    """Approved as if its sample had been watched: no sample is rendered here."""
    from django.utils import timezone

    from avatars.models import Campaign, CampaignStatus

    Campaign.objects.filter(pk=campaign.pk).update(
        status=CampaignStatus.APPROVED,
        sample_approved_by=world.editor,
        sample_approved_at=timezone.now(),
    )


def _queued_messages() -> int:
    import dramatiq

    broker = dramatiq.get_broker()
    queued = sum(queue.qsize() for queue in broker.queues.values())
    broker.flush_all()
    return queued


def measure_sending(world: World, rows: int, profile: bool) -> tuple[dict[str, Any], Any]:
    from django.db import connection

    from avatars.campaigns import sending
    from avatars.models import CreditEntry, JobEvent, RenderJob

    campaign, _, _ = _import(world, people_csv(rows, messy=False), "sent")
    _approve(world, campaign)
    statements = _Statements()
    with connection.execute_wrapper(statements):
        started = time.perf_counter()
        sent = sending.run(campaign.pk, world.member)
        seconds = time.perf_counter() - started
    jobs = RenderJob.objects.filter(campaign_row__campaign=campaign)
    figures = {
        "rows": rows,
        "sent": sent,
        "seconds": seconds,
        "statements": statements.kinds,
        "messages": _queued_messages(),
        "jobs": jobs.count(),
        "holds": CreditEntry.objects.filter(job__in=jobs, kind=CreditEntry.Kind.HOLD).count(),
        "events": JobEvent.objects.filter(job__in=jobs).count(),
    }
    if profile:
        profiled, _, _ = _import(world, people_csv(rows, messy=False), "sent, profiled")
        _approve(world, profiled)
        _profile("sending.run", sending.run, profiled.pk, world.member)
        _queued_messages()
    return figures, campaign


def _print_sending(f: dict[str, Any]) -> None:
    total = sum(f["statements"].values())
    print()
    print(
        f"2. sending.run on an approved campaign of {f['rows']:,} valid rows "
        "(status set to approved directly; stub broker, no worker)"
    )
    print(
        f"   sent {f['sent']:,} rows in {f['seconds']:.2f} s "
        f"({f['seconds'] * 1000 / max(f['sent'], 1):.3f} ms a row): {f['jobs']:,} jobs, "
        f"{f['holds']:,} holds, {f['events']:,} events, {f['messages']:,} submit messages queued"
    )
    detail = ", ".join(f"{kind} {n}" for kind, n in f["statements"].most_common())
    print(f"   SQL statements: {total} in all, {total / max(f['sent'], 1):.4f} a row ({detail})")
    common.record(
        f"campaigns: sending.run of {f['rows']:,} rows",
        f"{f['seconds']:.2f} s, {total} statements",
        "none (statements per row)",
        f"{total / max(f['sent'], 1):.3f}/row",
    )


# --- 3. the campaign page ---------------------------------------------------------------------


def _sent_campaign(world: World, rows: int) -> Any:
    from avatars.campaigns import sending

    campaign, _, _ = _import(world, people_csv(rows, messy=False), f"page {rows}")
    _approve(world, campaign)
    sending.run(campaign.pk, world.member)
    _queued_messages()
    _finish_some(campaign)
    return campaign


def _finish_some(campaign: Any) -> None:
    """A third of the rows finished (charged, with a poster and a live share link, some
    viewed), a tenth failed (their holds released), the rest still queued."""
    import datetime

    from django.db import transaction
    from django.utils import timezone

    from avatars.models import CreditEntry, RenderJob, ShareLink

    now = timezone.now()
    jobs = list(
        RenderJob.objects.filter(campaign_row__campaign=campaign).select_related("campaign_row")
    )
    done = [job for job in jobs if job.campaign_row.number % 3 == 0]
    failed = [job for job in jobs if job.campaign_row.number % 10 == 1 and job not in done]
    for job in done:
        job.status, job.finished_at, job.cost = "succeeded", now, job.estimated_cost
        job.poster.name = f"results/bench/{job.pk}.jpg"
    for job in failed:
        job.status, job.finished_at = "failed", now
        job.error_message = "The provider could not render this video. Render it again."
    entries = []
    for job in done + failed:
        hold = job.estimated_cost or Decimal(0)
        entries.append(CreditEntry(team_id=job.team_id, job=job, kind="release", amount=-hold))
        if job in done:
            entries.append(CreditEntry(team_id=job.team_id, job=job, kind="charge", amount=hold))
    for entry in entries:
        entry.provider = "crun"
    fields = ["status", "finished_at", "cost", "poster", "error_message"]
    with transaction.atomic():
        RenderJob.objects.bulk_update(done + failed, fields, batch_size=500)
        CreditEntry.objects.bulk_create(entries, batch_size=1000)
        ShareLink.objects.bulk_create(
            [
                ShareLink(
                    job=job,
                    title=f"A video for {job.campaign_row.person}",
                    expires_at=now + datetime.timedelta(days=30),
                    views=job.pk % 4,
                    first_viewed_at=now if job.pk % 4 else None,
                )
                for job in done
            ],
            batch_size=1000,
        )


PAGES = [
    ("campaign page (studio:campaign, first 50 rows)", "studio:campaign"),
    ("its progress, polled (studio:campaign_status)", "studio:campaign_status"),
]


def measure_page(world: World, small: Any, big: Any) -> dict[str, Any]:
    """Per page: each size's statements (5 requests) and the median of REQUESTS requests,
    the two sizes taken in turn so that a change in the machine's load hits both."""
    from django.db import connection
    from django.test import Client
    from django.urls import reverse

    client = Client()
    client.force_login(world.member)
    figures: dict[str, Any] = {}
    for label, name in PAGES:
        paths = {c.rows.count(): reverse(name, args=[c.pk]) for c in (small, big)}
        sizes: dict[int, Any] = {}
        for rows, path in paths.items():
            for _ in range(2):
                response = client.get(path)
                assert response.status_code == 200, (path, response.status_code)
            per_statement: list[list[float]] = []
            for _ in range(5):
                statements = _Statements()
                with connection.execute_wrapper(statements):
                    client.get(path)
                per_statement.append([seconds * 1000 for _, seconds in statements.timed])
            sizes[rows] = {
                "times": [],
                "queries": [sql for sql, _ in statements.timed],
                "statement_ms": [statistics.median(n) for n in zip(*per_statement, strict=True)],
                "kb": len(response.content) / 1024,
            }
        for _ in range(REQUESTS):
            for rows, path in paths.items():
                started = time.perf_counter()
                client.get(path)
                sizes[rows]["times"].append((time.perf_counter() - started) * 1000)
        for size in sizes.values():
            size["median_ms"] = statistics.median(size.pop("times"))
        figures[label] = sizes
    return figures


def _print_page(figures: dict[str, Any]) -> None:
    print()
    print(
        f"3. A campaign's page at two sizes, as a Marketing member of its team: median of "
        f"{REQUESTS} requests each (the sizes in turn) through the test Client, DEBUG off"
    )
    for number, (label, sizes) in enumerate(figures.items()):
        (small_rows, small), (big_rows, big) = sorted(sizes.items())
        ratio = big["median_ms"] / small["median_ms"]
        same = "the same" if len(small["queries"]) == len(big["queries"]) else "DIFFERENT"
        print(f"   {'abc'[number]}. {label}")
        print(f"   {'rows':>8}{'ms':>9}{'queries':>9}{'KB':>7}")
        for rows, page in ((small_rows, small), (big_rows, big)):
            queries = len(page["queries"])
            print(f"   {rows:8,}{page['median_ms']:9.1f}{queries:9}{page['kb']:7.0f}")
        goal = " (goal ≤ 1.2×)" if number == 0 else ""
        print(f"   ratio {big_rows:,} / {small_rows:,} rows: {ratio:.2f}×{goal}; {same} queries")
        print(f"   each statement, median ms of 5 requests: @{small_rows:,} → @{big_rows:,} rows")
        for sql, a, b in zip(
            big["queries"], small["statement_ms"], big["statement_ms"], strict=False
        ):
            print(f"   {a:7.2f} → {b:7.2f}  {' '.join(sql.split())[:92]}")
        sql_ms = sum(big["statement_ms"]) - sum(small["statement_ms"])
        print(f"   SQL time added by the bigger campaign: {sql_ms:.1f} ms")
        common.record(
            f"campaigns: {label.split(' (')[0]} @ {big_rows:,} rows",
            f"{big['median_ms']:.1f} ms, {len(big['queries'])} queries",
            f"{small['median_ms']:.1f} ms, {len(small['queries'])} queries @ {small_rows:,}",
            f"{ratio:.2f}×",
        )


# --- 4. the ZIP of videos ---------------------------------------------------------------------


def measure_zip(world: World, videos: int, size: int, scratch: Path) -> dict[str, Any]:
    from django.core.files.base import ContentFile
    from django.core.files.storage import default_storage

    from avatars.campaigns import export, sending
    from avatars.models import RenderJob

    campaign, _, _ = _import(world, people_csv(videos, messy=False), "zip")
    _approve(world, campaign)
    sending.run(campaign.pk, world.member)
    _queued_messages()
    jobs = list(RenderJob.objects.filter(campaign_row__campaign=campaign))
    for job in jobs:
        job.status = "succeeded"
        job.video.name = default_storage.save(
            f"results/bench/{job.pk}.mp4", ContentFile(os.urandom(size))
        )
    RenderJob.objects.bulk_update(jobs, ["status", "video"], batch_size=500)

    tail = bytearray()

    def stream() -> int:
        total = 0
        for chunk in export.videos_zip(campaign):
            total += len(chunk)
            tail[:] = (bytes(tail) + bytes(chunk[-22:]))[-22:]
        return total

    stream()
    started = time.perf_counter()
    total = stream()
    seconds = time.perf_counter() - started
    peak = _peak_mb(stream)
    written = scratch / "videos.zip"
    with written.open("wb") as out:
        for chunk in export.videos_zip(campaign):
            out.write(chunk)
    with zipfile.ZipFile(written) as archive:
        names = archive.namelist()
        bad = archive.testzip()
    written.unlink()
    signature, entries = struct.unpack("<4s6xH", bytes(tail[:12]))
    return {
        "videos": videos,
        "size": size,
        "bytes": total,
        "seconds": seconds,
        "peak_mb": peak,
        "eocd": signature == b"PK\x05\x06",
        "eocd_entries": entries,
        "names": len(names),
        "unique_names": len(set(names)),
        "crc_ok": bad is None,
    }


def _print_zip(f: dict[str, Any]) -> None:
    archive_mb = f["bytes"] / MB
    print()
    print(
        f"4. ZIP of {f['videos']:,} finished videos of {f['size'] / 1000:,.0f} KB each "
        "(export.videos_zip, chunks consumed and dropped)"
    )
    print(
        f"   {f['bytes']:,} bytes ({archive_mb:,.0f} MB) in {f['seconds']:.2f} s "
        f"({archive_mb / f['seconds']:,.0f} MB/s); peak Python allocations "
        f"{f['peak_mb']:.1f} MB (tracemalloc, separate run) = "
        f"{f['peak_mb'] / archive_mb:.1%} of the archive"
    )
    print(
        f"   valid: end-of-central-directory record {'found' if f['eocd'] else 'MISSING'} "
        f"({f['eocd_entries']:,} entries); written out once, zipfile lists {f['names']:,} "
        f"names ({f['unique_names']:,} distinct), CRCs {'good' if f['crc_ok'] else 'BAD'}"
    )
    common.record(
        f"campaigns: ZIP of {f['videos']:,} videos streamed",
        f"{f['seconds']:.2f} s, {f['peak_mb']:.1f} MB peak",
        f"{archive_mb:,.0f} MB archive",
        f"{f['peak_mb'] / archive_mb:.1%}",
    )


if __name__ == "__main__":
    started = time.monotonic()
    main()
    print(f"\n(benchmark took {time.monotonic() - started:.0f} s)")
