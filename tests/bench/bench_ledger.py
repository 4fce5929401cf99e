"""The credit reports over a big ledger: `.venv/bin/python -m tests.bench.bench_ledger`.

A plain script like run.py: it points Django at a throwaway SQLite file in a temp dir,
migrates, seeds a year of ledger (1,000,000 CreditEntry rows by default: 5 teams, 50 users,
10 avatars each rendered on its own provider label, 12 months ending now, with the
RenderJob rows they belong to) by executemany of raw INSERTs, measures, and deletes the dir.

Measured, each next to a plain SQL baseline run in the same process on the same data:
1. the monthly summary: the /credits/ overview page and its summary CSV (the view
   functions, called with a RequestFactory request of a superuser), against a plain
   `SELECT team_id, user_id, provider, kind, SUM(amount), COUNT(*) … GROUP BY …` of the
   month, and against reports.summary()'s own SQL run through a bare cursor;
2. the CSV export of the whole year (the /credits/ledger/?format=csv view's stream), against
   a cursor fetchmany loop writing the same columns with csv.writer.
Times are the median of three runs after a warm-up one (one run for the year's exports);
peak memory is tracemalloc's peak
of Python allocations in a separate run (SQLite's own page cache is not traced).
Nothing is asserted.
"""

from __future__ import annotations

import argparse
import csv
import os
import platform
import random
import shutil
import statistics
import sys
import tempfile
import time
import tracemalloc
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

TEAMS = 5
USERS_PER_TEAM = 10
AVATARS_PER_TEAM = 2
# The ledger's provider is free text: one label per avatar, ten in all.
PROVIDERS = (
    "crun",
    "lumenfall",
    "replicate",
    "sandbox",
    "crun-eu",
    "crun-us",
    "lumenfall-b",
    "replicate-b",
    "studio-a",
    "studio-b",
)
from tests.bench import common  # noqa: E402

IN_FLIGHT = 200  # the newest jobs still hold their estimate
BATCH = 20_000
CHUNK = 2000
MB = 1024 * 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000, help="ledger rows to seed")
    args = parser.parse_args()
    scratch = Path(tempfile.mkdtemp(prefix="avatar-bench-ledger-"))
    try:
        _configure(scratch)
        import django
        from django.core.management import call_command

        django.setup()
        call_command("migrate", verbosity=0, interactive=False)
        print(f"Python {platform.python_version()}, {os.cpu_count()} CPUs, data in {scratch}")
        print(f"load average at start: {_load()} (other work on the machine skews timings)")
        started = time.perf_counter()
        seeded = seed(args.rows)
        print(
            f"seeded {seeded.entries:,} ledger rows and {seeded.jobs:,} jobs in "
            f"{time.perf_counter() - started:.1f} s "
            f"({(scratch / 'bench.sqlite3').stat().st_size / MB:,.0f} MB database)",
            flush=True,
        )
        _print(seeded, measure(seeded))
        print(f"\nload average at end: {_load()}")
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def _load() -> str:
    return " ".join(f"{load:.2f}" for load in os.getloadavg())


def _configure(scratch: Path) -> None:
    os.environ.update(
        common.environment(
            DATABASE_URL=f"sqlite:///{scratch / 'bench.sqlite3'}", MEDIA_ROOT=str(scratch / "media")
        )
    )


# --- seeding ----------------------------------------------------------------------------------


@dataclass
class Seeded:
    entries: int
    jobs: int
    month: Any  # reports.Month: the last whole month, the one the report is measured on
    month_entries: int
    admin: Any


def seed(rows: int) -> Seeded:
    """A year of renders and their ledger rows, bypassing the append-only save()."""
    from django.contrib.auth.models import User
    from django.db import connection, transaction
    from django.utils import timezone

    from avatars.models import Avatar, CreditEntry, RenderJob, Team
    from avatars.reports import Month

    rng = random.Random(7)
    now = timezone.now()
    start = Month.current().shifted(-11).start
    admin = User.objects.create_superuser("root", "root@example.com", "bench-only")
    teams, users, avatars = [], [], []
    for t in range(TEAMS):
        team = Team.objects.create(name=f"Team {t}", slug=f"team-{t}")
        teams.append(team)
        users.append([User.objects.create_user(f"user-{t}-{u}") for u in range(USERS_PER_TEAM)])
        avatars.append(
            [
                Avatar.objects.create(
                    team=team,
                    name=f"Avatar {t}-{a}",
                    original_format="jpeg",
                    width=300,
                    height=400,
                    sha256=f"{t * AVATARS_PER_TEAM + a:064x}",
                )
                for a in range(AVATARS_PER_TEAM)
            ]
        )
    template = RenderJob.objects.create(
        team=teams[0], avatar=avatars[0][0], provider=PROVIDERS[0], text="Hello."
    )
    jobs = _JobRows(template)
    entries: list[tuple] = []
    amount = CreditEntry._meta.get_field("amount")
    when = connection.ops.adapt_datetimefield_value
    insert_entry = (
        "INSERT INTO avatars_creditentry "
        "(team_id, job_id, user_id, provider, kind, amount, reason, created_at) "
        "VALUES (%s, %s, %s, %s, %s, %s, %s, %s)"
    )

    def entry(team, job_id, user, provider, kind, value, at, reason="") -> None:
        money = amount.get_db_prep_save(value.quantize(Decimal("0.0001")), connection)
        entries.append((team.pk, job_id, user.pk, provider, kind, money, reason, when(at)))

    expected_jobs = max(1, int(rows / 2.9))
    span = (now - start).total_seconds() - 3600
    count = job_count = 0
    with transaction.atomic(), connection.cursor() as cursor:
        while count + len(entries) < rows:
            k = job_count
            job_count += 1
            t = rng.randrange(TEAMS)
            team, user = teams[t], rng.choice(users[t])
            a = rng.randrange(AVATARS_PER_TEAM)
            avatar, provider = avatars[t][a], PROVIDERS[t * AVATARS_PER_TEAM + a]
            at = start + timedelta(seconds=span * min(1.0, (k + rng.random()) / expected_jobs))
            estimate = Decimal(rng.randint(500, 30_000)) / 10_000
            fate = rng.random()
            in_flight = k >= expected_jobs - IN_FLIGHT
            status = (
                "processing"
                if in_flight
                else "succeeded"
                if fate < 0.85
                else "failed"
                if fate < 0.95
                else "canceled"
            )
            cost = estimate * Decimal(rng.randint(80, 125)) / 100 if status != "canceled" else None
            parent = jobs.last_of_team.get(t) if rng.random() < 0.1 else None
            job_id = jobs.add(
                team=team,
                avatar=avatar,
                user=user,
                provider=provider,
                status=status,
                at=at,
                estimate=estimate,
                cost=cost,
                parent=parent,
                key=uuid.UUID(int=rng.getrandbits(128)),
            )
            jobs.last_of_team[t] = job_id
            entry(team, job_id, user, provider, "hold", estimate, at)
            if not in_flight:
                done = at + timedelta(seconds=rng.randint(30, 600))
                entry(team, job_id, user, provider, "release", -estimate, done)
                if status == "succeeded":
                    entry(team, job_id, user, provider, "charge", cost, done)
                    if rng.random() < 0.01:
                        refund_at = min(done + timedelta(days=1), now)
                        entry(team, job_id, admin, provider, "refund", -cost, refund_at, "redo")
            if k % 5000 == 0:
                entry(team, None, admin, "", "adjustment", Decimal("12.5"), at, "credit note")
            if len(entries) >= BATCH:
                jobs.flush(cursor)
                cursor.executemany(insert_entry, entries)
                count += len(entries)
                entries.clear()
        jobs.flush(cursor)
        cursor.executemany(insert_entry, entries)
        count += len(entries)
    month = Month.current().shifted(-1)
    in_month = CreditEntry.objects.filter(created_at__gte=month.start, created_at__lt=month.end)
    return Seeded(count, job_count + 1, month, in_month.count(), admin)


class _JobRows:
    """RenderJob rows as raw INSERTs: every column as in a template job, except the few a
    report reads; ids are given so ledger rows can point at them before they are written."""

    VARYING = (
        "id",
        "key",
        "team",
        "avatar",
        "requested_by",
        "provider",
        "status",
        "parent",
        "status_changed_at",
        "created_at",
        "finished_at",
        "estimated_cost",
        "cost",
        "duration_seconds",
    )

    def __init__(self, template: Any) -> None:
        from django.db import connection

        self.connection = connection
        self.fields = {f.name: f for f in type(template)._meta.concrete_fields}
        self.values = {
            name: field.get_db_prep_save(getattr(template, field.attname), connection)
            for name, field in self.fields.items()
        }
        self.next_id = template.pk + 1
        self.rows: list[tuple] = []
        self.last_of_team: dict[int, int] = {}
        table = type(template)._meta.db_table
        names = list(self.fields)
        columns = ", ".join(connection.ops.quote_name(self.fields[n].column) for n in names)
        self.names = names
        self.sql = f"INSERT INTO {table} ({columns}) VALUES ({', '.join(['%s'] * len(names))})"

    def add(self, *, team, avatar, user, provider, status, at, estimate, cost, parent, key) -> int:
        job_id = self.next_id
        self.next_id += 1
        finished = None if status == "processing" else at + timedelta(minutes=5)
        changes = {
            "id": job_id,
            "key": key,
            "team": team.pk,
            "avatar": avatar.pk,
            "requested_by": user.pk,
            "provider": provider,
            "status": status,
            "parent": parent,
            "status_changed_at": finished or at,
            "created_at": at,
            "finished_at": finished,
            "estimated_cost": estimate,
            "cost": cost,
            "duration_seconds": float(estimate / Decimal("0.025")),
        }
        prep = {
            name: self.fields[name].get_db_prep_save(value, self.connection)
            for name, value in changes.items()
        }
        self.rows.append(tuple(prep.get(n, self.values[n]) for n in self.names))
        return job_id

    def flush(self, cursor: Any) -> None:
        if self.rows:
            cursor.executemany(self.sql, self.rows)
            self.rows.clear()


# --- measuring --------------------------------------------------------------------------------


@dataclass
class Figure:
    seconds: float
    peak_mb: float
    result: str


def timed(run: Callable[[], str], repeats: int = 3) -> Figure:
    """Median seconds of `repeats` runs after a warm-up, and the peak of a traced run."""
    result = run()
    seconds = []
    for _ in range(repeats):
        started = time.perf_counter()
        run()
        seconds.append(time.perf_counter() - started)
    tracemalloc.start()
    try:
        tracemalloc.reset_peak()
        run()
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    return Figure(statistics.median(seconds), peak / MB, result)


class _Sink:
    """A file that counts what csv.writer writes to it and keeps none of it."""

    def __init__(self) -> None:
        self.bytes = 0

    def write(self, text: str) -> int:
        self.bytes += len(text.encode())
        return len(text)


def _consume(chunks: Iterable[Any]) -> tuple[int, int]:
    lines = size = 0
    for chunk in chunks:
        lines += 1
        size += len(chunk)
    return lines, size


def measure(seeded: Seeded) -> dict[str, Figure]:
    from django.db import connection
    from django.test import RequestFactory

    from avatars import report_rows, reports
    from avatars.views import credits as views

    month = seeded.month
    factory = RequestFactory()

    def get(view: Callable, path: str, **params: str) -> Any:
        request = factory.get(path, params)
        request.user = seeded.admin
        return view(request)

    def overview_page() -> str:
        response = get(views.overview, "/credits/", month=month.label)
        return f"HTTP {response.status_code}, {len(response.content) / 1024:,.0f} KB of HTML"

    def summary_csv() -> str:
        response = get(views.overview, "/credits/", month=month.label, format="csv")
        lines, size = _consume(response.streaming_content)
        return f"{lines:,} lines, {size / 1024:,.0f} KB"

    def summary_sql() -> str:
        sql, params = reports.summary(month).query.sql_with_params()
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            return f"{len(cursor.fetchall()):,} groups"

    def plain_aggregate() -> str:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT team_id, user_id, provider, kind, SUM(amount), COUNT(*) "
                "FROM avatars_creditentry WHERE created_at >= %s AND created_at < %s "
                "GROUP BY team_id, user_id, provider, kind",
                [
                    connection.ops.adapt_datetimefield_value(month.start),
                    connection.ops.adapt_datetimefield_value(month.end),
                ],
            )
            return f"{len(cursor.fetchall()):,} groups"

    def ledger_csv() -> str:
        response = get(views.ledger, "/credits/ledger/", format="csv")
        lines, size = _consume(response.streaming_content)
        return f"{lines:,} lines, {size / MB:,.0f} MB"

    def plain_csv() -> str:
        sink = _Sink()
        writer = csv.writer(sink)
        writer.writerow(report_rows.LEDGER_HEADER)
        lines = 1
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT e.created_at, t.slug, e.kind, e.amount, e.provider, e.job_id, "
                "u.username, COALESCE(r.username, u.username), e.reason "
                "FROM avatars_creditentry e "
                "JOIN avatars_team t ON t.id = e.team_id "
                "LEFT JOIN auth_user u ON u.id = e.user_id "
                "LEFT JOIN avatars_renderjob j ON j.id = e.job_id "
                "LEFT JOIN auth_user r ON r.id = j.requested_by_id "
                "ORDER BY e.created_at DESC, e.id DESC"
            )
            while rows := cursor.fetchmany(CHUNK):
                writer.writerows(rows)
                lines += len(rows)
        return f"{lines:,} lines, {sink.bytes / MB:,.0f} MB"

    def part(call: Callable[[], Any]) -> Callable[[], str]:
        def run() -> str:
            result = call()
            rows = list(result) if hasattr(result, "query") else result
            return f"{len(rows):,} rows" if isinstance(rows, list) else type(rows).__name__

        return run

    # Where the overview page's time goes: each report it reads, alone.
    parts = [
        ("reports.totals", lambda: reports.totals(month)),
        ("reports.held", lambda: reports.held()),
        ("reports.failed_renders", lambda: reports.failed_renders(month)),
        *(
            (f"reports.spend_by {dimension!r}", lambda d=dimension: reports.spend_by(d, month))
            for dimension in reports.BREAKDOWNS
        ),
        ("reports.spend_by_month (12 months)", lambda: reports.spend_by_month(month)),
    ]
    # A year's export takes long enough that one timed run (after the warm-up) will do.
    steps = [
        ("overview", overview_page, 3),
        ("summary_csv", summary_csv, 3),
        ("summary_sql", summary_sql, 3),
        ("plain_aggregate", plain_aggregate, 3),
        ("ledger_csv", ledger_csv, 1),
        ("plain_csv", plain_csv, 1),
    ]
    figures = {}
    for name, run, repeats in steps:
        print(f"measuring {name}…", flush=True)
        figures[name] = timed(run, repeats)
    for name, call in parts:
        figures[name] = timed(part(call), 3)
    return figures


def _print(seeded: Seeded, figures: dict[str, Figure]) -> None:
    print()
    print(
        f"1. Monthly summary of {seeded.month.label}: {seeded.month_entries:,} of "
        f"{seeded.entries:,} ledger rows"
    )
    _table(
        figures,
        [
            ("/credits/ overview page (HTML)", "overview"),
            ("summary CSV (reports.summary_rows)", "summary_csv"),
            ("reports.summary() SQL, bare cursor", "summary_sql"),
            ("baseline: plain SQL GROUP BY", "plain_aggregate"),
        ],
        "plain_aggregate",
    )
    print("   the overview page's reports, one by one:")
    parts = [(f"  {name}", name) for name in figures if name.startswith("reports.")]
    _table(figures, parts, "plain_aggregate", header=False)
    print()
    print(f"2. CSV export of the whole year: {seeded.entries:,} ledger rows")
    _table(
        figures,
        [
            ("/credits/ledger/?format=csv stream", "ledger_csv"),
            ("baseline: cursor fetchmany + csv", "plain_csv"),
        ],
        "plain_csv",
    )
    for label, key, base in (
        ("ledger: /credits/ overview, a month", "overview", "plain_aggregate"),
        ("ledger: CSV export of the year", "ledger_csv", "plain_csv"),
    ):
        figure, baseline = figures[key].seconds, figures[base].seconds
        common.record(
            f"{label} of {seeded.entries:,} rows",
            f"{figure:.3f} s",
            f"{baseline:.3f} s (plain SQL)",
            f"{figure / baseline:.1f}×",
        )


def _table(
    figures: dict[str, Figure], rows: list[tuple[str, str]], baseline: str, header: bool = True
) -> None:
    base = figures[baseline].seconds
    if header:
        print(f"   {'':38}{'seconds':>9}{'× base':>8}{'peak MB':>9}   result")
    for label, key in rows:
        figure = figures[key]
        ratio = figure.seconds / base if base else float("nan")
        print(
            f"   {label:38}{figure.seconds:9.3f}{ratio:8.1f}{figure.peak_mb:9.1f}   {figure.result}"
        )


if __name__ == "__main__":
    started = time.monotonic()
    main()
    print(f"\n(benchmark took {time.monotonic() - started:.0f} s)")
