"""The job lists cost the same with 30 jobs as with 3,000: the same queries, each served by
an index. alice (Marketing) and bob (Editor) work in Acme; audrey (Auditor) sees every team."""

from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from avatars import pagination
from avatars.models import JobStatus, RenderJob, ReviewStatus
from tests.helpers.queries import page_queries

PAGES = [
    ("alice", "/studio/renders/"),
    ("alice", "/studio/renders/?who=team"),
    ("bob", "/review/"),
    ("alice", "/admin/avatars/renderjob/"),
    ("audrey", "/admin/avatars/renderjob/"),
    ("audrey", "/admin/avatars/renderjob/?status__exact=failed"),
    ("bob", "/admin/avatars/renderjob/?status__exact=succeeded"),
]
on_postgresql = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="the planner's choice is PostgreSQL's"
)


@pytest.fixture
def add_jobs(acme, alice, bob, asset_factory):
    """Rows as bulk_create writes them: half alice's, half bob's; a tenth awaiting review."""
    template = asset_factory.job(acme, requested_by=alice)
    now = timezone.now()

    def add(count: int) -> None:
        start = RenderJob.objects.count()
        jobs = [
            RenderJob(
                team=acme,
                requested_by=alice if n % 2 else bob,
                avatar_id=template.avatar_id,
                script_revision_id=template.script_revision_id,
                voice_id=template.voice_id,
                text=template.text,
                provider="sandbox",
                status=JobStatus.SUCCEEDED if n % 3 else JobStatus.FAILED,
                review=ReviewStatus.PENDING if n % 10 == 0 else ReviewStatus.APPROVED,
                finished_at=now - timedelta(minutes=n),
            )
            for n in range(start, start + count)
        ]
        RenderJob.objects.bulk_create(jobs, batch_size=500)

    return add


@pytest.mark.parametrize(("who", "path"), PAGES)
def test_a_list_page_runs_the_same_queries_with_a_hundred_times_the_jobs(
    who, path, request, add_jobs, login
):
    client = login(request.getfixturevalue(who))
    add_jobs(30)
    few = page_queries(client, path)
    add_jobs(2970)
    many = page_queries(client, path)

    assert len(many) == len(few)
    assert not [sql for sql in many if "COUNT(DISTINCT" in sql.upper()]
    assert not [sql for sql in many if "SELECT DISTINCT" in sql.upper()]


@on_postgresql
@pytest.mark.parametrize(("who", "path"), PAGES)
def test_a_list_page_reads_the_jobs_through_an_index(who, path, request, add_jobs, login):
    client = login(request.getfixturevalue(who))
    add_jobs(3000)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE avatars_renderjob")

    # The page's rows; the count beside it reads at most pagination.COUNT_CAP rows anyway.
    listed = [
        sql
        for sql in page_queries(client, path)
        if 'FROM "avatars_renderjob"' in sql and "ORDER BY" in sql and "LIMIT" in sql
    ]
    assert listed
    for sql in listed:
        with connection.cursor() as cursor:
            cursor.execute(f"EXPLAIN {sql}")
            plan = "\n".join(row[0] for row in cursor.fetchall())
        assert "Seq Scan on avatars_renderjob" not in plan, plan
        assert "Index" in plan, plan


def test_the_admin_counts_no_further_than_the_cap(add_jobs, alice, login, monkeypatch):
    monkeypatch.setattr(pagination, "COUNT_CAP", 40)
    add_jobs(60)

    response = login(alice).get("/admin/avatars/renderjob/")

    assert response.context["cl"].result_count == 40
    assert response.context["cl"].full_result_count is None


def test_a_small_table_is_counted_exactly(add_jobs):
    add_jobs(30)

    assert pagination.cheap_count(RenderJob.objects.all()) == 31
    assert pagination.cheap_count(RenderJob.objects.filter(status="failed")) == 10


@on_postgresql
def test_a_big_unfiltered_table_is_counted_from_the_planners_estimate(add_jobs):
    add_jobs(99)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE avatars_renderjob")
    RenderJob.objects.filter(status="failed").delete()

    assert pagination.cheap_count(RenderJob.objects.all(), cap=50) == 100
    assert pagination.cheap_count(RenderJob.objects.filter(status="succeeded"), cap=50) == 50


def test_a_keyset_page_goes_older_and_back_newer(add_jobs):
    add_jobs(7)  # and the fixture's own job: eight
    newest = list(RenderJob.objects.order_by("-created_at", "-pk"))
    jobs = RenderJob.objects.all()

    first = pagination.newest_first(jobs, "", 3)
    second = pagination.newest_first(jobs, first.older, 3)
    last = pagination.newest_first(jobs, second.older, 3)
    back = pagination.newest_first(jobs, second.newer, 3)

    assert first.rows == newest[:3] and first.newer is None
    assert second.rows == newest[3:6]
    assert last.rows == newest[6:] and last.older is None and last.newer
    assert back.rows == first.rows and back.newer is None


@pytest.mark.parametrize("cursor", ["o", "nx.1", "o1.", "o99999999999999999999999.1", "zz"])
def test_a_broken_cursor_shows_the_newest_page(add_jobs, cursor):
    add_jobs(4)

    page = pagination.newest_first(RenderJob.objects.all(), cursor, 2)

    assert page.rows == list(RenderJob.objects.order_by("-created_at", "-pk")[:2])
