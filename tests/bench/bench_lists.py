"""Job lists with 1,000,000 jobs beside 1,000: `python -m tests.bench.bench_lists`.

Each size lives in a database of its own, kept between runs so the seed is paid once:
`bench_avatar_studio_<jobs>` on the PostgreSQL server of BENCH_DATABASE_URL (default
postgres://postgres@127.0.0.1:5432/), or `--database sqlite` for files of that name in the
temp dir. The seed: ten teams, the jobs spread over them round-robin and over the past
year (one every 30 s), copied from one template row by a single INSERT … SELECT over a
generated series; a marketer and an editor in the first team, so they see a tenth of the
table; ~1 in 10 jobs awaits review, 1 in 100 is in flight, the rest are approved, failed
or canceled.

Each page is requested through Django's test Client by the person who would open it: once
to warm up, then REQUESTS times; the median time and the SQL statements of one request are
printed for both sizes, with the ratio. The lists must not grow with the table: the same
queries, about the same time. Nothing is asserted.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from tests.bench import common  # noqa: E402

REQUESTS = 15
TEAMS = 10
SPACING_SECONDS = 30
PAGES = [
    ("trivial view (/healthz)", "marketer", "/healthz"),
    ("studio renders (mine)", "marketer", "/studio/renders/"),
    ("studio renders (team)", "marketer", "/studio/renders/?who=team"),
    ("studio renders, 2nd page (team)", "marketer", "older"),
    ("review queue", "editor", "/review/"),
    ("admin changelist (team member)", "editor", "/admin/avatars/renderjob/"),
    ("admin changelist (superuser)", "root", "/admin/avatars/renderjob/"),
    ("admin, status=failed (superuser)", "root", "/admin/avatars/renderjob/?status__exact=failed"),
]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=1_000_000, help="jobs in the big table")
    parser.add_argument("--baseline-jobs", type=int, default=1_000, help="jobs in the small one")
    parser.add_argument("--database", choices=["postgresql", "sqlite"], default="postgresql")
    parser.add_argument("--child", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        _configure(args.database, args.child)
        print(json.dumps(measure(args.child)))
        return
    print(f"load average at start: {common.load()}", flush=True)
    small = _in_child(args.database, args.baseline_jobs)
    big = _in_child(args.database, args.jobs)
    _print(args.database, small, big)
    print(f"load average at end: {common.load()}")


def _in_child(database: str, jobs: int) -> dict[str, Any]:
    """Seed (if needed) and measure one size in a fresh interpreter of its own."""
    command = [sys.executable, "-m", "tests.bench.bench_lists", "--database", database]
    done = subprocess.run(
        [*command, "--child", str(jobs)], cwd=ROOT, stdout=subprocess.PIPE, text=True, check=True
    )
    return json.loads(done.stdout.strip().splitlines()[-1])


def database_url(database: str, jobs: int) -> str:
    name = f"bench_avatar_studio_{jobs}"
    if database == "sqlite":
        return f"sqlite:///{Path(tempfile.gettempdir()) / name}.sqlite3"
    server = os.environ.get("BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432")
    return f"{server.rstrip('/')}/{name}"


def _configure(database: str, jobs: int) -> None:
    url = database_url(database, jobs)
    if database == "postgresql":
        _create_database(url)
    media = Path(tempfile.gettempdir()) / "avatar-bench-lists-media"
    os.environ.update(common.environment(DATABASE_URL=url, MEDIA_ROOT=str(media)))
    import django
    from django.core.management import call_command

    django.setup()
    call_command("migrate", verbosity=0, interactive=False)


def _create_database(url: str) -> None:
    import psycopg

    server, name = url.rsplit("/", 1)
    with psycopg.connect(f"{server}/postgres", autocommit=True) as connection:
        exists = connection.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name])
        if not exists.fetchone():
            connection.execute(f'CREATE DATABASE "{name}"')


# --- seeding ----------------------------------------------------------------------------------


def seed(jobs: int) -> dict[str, Any]:
    """The people who open the pages; the jobs are written once and kept for the next run."""
    from django.contrib.auth.models import Group, User
    from django.db import connection, transaction

    from avatars import roles
    from avatars.models import Avatar, RenderJob, Script, Team, Voice
    from avatars.scripts import save_with_revision

    people = {
        "marketer": ("mia", roles.MARKETING),
        "editor": ("ed", roles.EDITOR),
        "root": ("root", None),
    }
    if User.objects.filter(username="root").exists() and RenderJob.objects.count() == jobs:
        return {key: User.objects.get(username=name) for key, (name, _) in people.items()}
    print(f"seeding {jobs:,} jobs into {connection.settings_dict['NAME']}…", file=sys.stderr)
    started = time.monotonic()
    with transaction.atomic():
        RenderJob.objects.all().delete()
        for model in (Avatar, Script, Voice):
            model.objects.all().delete()
        teams = [
            Team.objects.get_or_create(slug=f"team-{t}", defaults={"name": f"Team {t}"})[0]
            for t in range(TEAMS)
        ]
        found = {}
        for key, (name, role) in people.items():
            user = User.objects.filter(username=name).first() or User.objects.create_user(
                name, is_staff=True, is_superuser=role is None
            )
            if role:
                user.groups.add(Group.objects.get(name=role))
                teams[0].members.add(user)
            found[key] = user
        avatar = Avatar.objects.create(
            team=teams[0], name="Face", original_format="JPEG", width=600, height=800, sha256="0"
        )
        script = Script(team=teams[0], title="Welcome", text="Hello there.")
        save_with_revision(script, None)
        voice = Voice.objects.create(team=teams[0], name="Host", speaker="Kore", language="en-US")
        template = RenderJob.objects.create(
            team=teams[0],
            avatar=avatar,
            script_revision=script.revisions.get(),
            voice=voice,
            text=script.text,
            provider="sandbox",
            estimated_cost="0.1",
        )
        with connection.cursor() as cursor:
            cursor.execute(*_copies_sql(connection, template, teams, found, jobs - 1))
            if connection.vendor == "postgresql":
                cursor.execute("ANALYZE")
    print(f"seeded in {time.monotonic() - started:.0f} s", file=sys.stderr)
    return found


def _copies_sql(connection: Any, template: Any, teams: list, people: dict, count: int) -> tuple:
    """INSERT … SELECT of `count` copies of the template with the listed columns varied."""
    from django.utils import timezone

    postgres = connection.vendor == "postgresql"
    series = (
        f"generate_series(1, {count}) AS g(n)"
        if postgres
        else "(WITH RECURSIVE s(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM s "
        f"WHERE n < {count}) SELECT n FROM s) AS g"
    )
    ago = f"({count} - g.n) * {SPACING_SECONDS}"
    if postgres:
        created = f"%(now)s::timestamptz - make_interval(secs => {ago})"
        finished = f"{created} + interval '5 minutes'"
        key = "md5(random()::text || g.n::text)::uuid"
    else:
        created = f"strftime('%%Y-%%m-%%d %%H:%%M:%%S', %(now)s, '-' || {ago} || ' seconds')"
        finished = (
            f"strftime('%%Y-%%m-%%d %%H:%%M:%%S', %(now)s, '-' || ({ago} - 300) || ' seconds')"
        )
        key = "lower(hex(randomblob(16)))"
    team_ids = " ".join(f"WHEN {i} THEN {team.pk}" for i, team in enumerate(teams))
    varied = {
        "key": key,
        "team_id": f"CASE g.n %% {TEAMS} {team_ids} END",
        "requested_by_id": (
            f"CASE WHEN g.n %% 2 = 0 THEN {people['marketer'].pk} ELSE {people['editor'].pk} END"
        ),
        "status": "CASE WHEN g.n %% 10 = 0 THEN 'succeeded' WHEN g.n %% 100 = 1 THEN 'processing' "
        "WHEN g.n %% 10 = 3 THEN 'failed' WHEN g.n %% 10 = 7 THEN 'canceled' ELSE 'succeeded' END",
        "review": "CASE WHEN g.n %% 10 = 0 THEN 'pending' WHEN g.n %% 100 = 1 THEN 'pending' "
        "WHEN g.n %% 10 IN (3, 7) THEN 'pending' ELSE 'approved' END",
        "created_at": created,
        "status_changed_at": created,
        "finished_at": f"CASE WHEN g.n %% 100 = 1 THEN NULL ELSE {finished} END",
    }
    columns = [f.column for f in type(template)._meta.concrete_fields if f.column != "id"]
    values = [varied.get(column, f"t.{connection.ops.quote_name(column)}") for column in columns]
    sql = (
        f"INSERT INTO {template._meta.db_table} "
        f"({', '.join(connection.ops.quote_name(c) for c in columns)}) "
        f"SELECT {', '.join(values)} FROM {template._meta.db_table} t CROSS JOIN {series} "
        "WHERE t.id = %(template)s"
    )
    now = timezone.now()
    params = {
        "now": now if postgres else now.strftime("%Y-%m-%d %H:%M:%S"),
        "template": template.pk,
    }
    return sql, params


# --- measuring --------------------------------------------------------------------------------


def measure(jobs: int) -> dict[str, Any]:
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    people = seed(jobs)
    rows = {}
    clients = {}
    older = ""
    for label, who, path in PAGES:
        client = clients.setdefault(who, Client())
        client.force_login(people[who])
        if path == "older":
            path = f"/studio/renders/?who=team&c={older}"
        response = client.get(path)
        assert response.status_code == 200, (path, response.status_code)
        if response.context and "older" in response.context:
            older = response.context["older"] or ""
        with CaptureQueriesContext(connection) as captured:
            client.get(path)
        queries = len(captured)
        times = []
        for _ in range(REQUESTS):
            started = time.perf_counter()
            client.get(path)
            times.append((time.perf_counter() - started) * 1000)
        rows[label] = {"median_ms": statistics.median(times), "queries": queries}
    return {"jobs": jobs, "vendor": connection.vendor, "pages": rows}


def _print(database: str, small: dict, big: dict) -> None:
    print()
    print(
        f"List pages on {database}: {small['jobs']:,} jobs (baseline) and {big['jobs']:,} jobs; "
        f"median of {REQUESTS} requests through the test Client, DEBUG off"
    )
    head = f"{'ms @' + format(small['jobs'], ',')}"
    print(
        f"   {'page':36}{head:>12}{'ms @' + format(big['jobs'], ','):>16}{'× base':>8}"
        f"{'queries':>12}"
    )
    for label, _, _ in PAGES:
        a, b = small["pages"][label], big["pages"][label]
        ratio = b["median_ms"] / a["median_ms"]
        print(
            f"   {label:36}{a['median_ms']:12.1f}{b['median_ms']:16.1f}{ratio:7.2f}×"
            f"{a['queries']:>6} → {b['queries']:<3}"
        )
        common.record(
            f"list: {label} ({database}, {big['jobs']:,} jobs)",
            f"{b['median_ms']:.1f} ms, {b['queries']} queries",
            f"{a['median_ms']:.1f} ms, {a['queries']} queries @ {small['jobs']:,}",
            f"{ratio:.2f}×",
        )


if __name__ == "__main__":
    started = time.monotonic()
    main()
    if "--child" not in sys.argv:
        print(f"\n(benchmark took {time.monotonic() - started:.0f} s)")
