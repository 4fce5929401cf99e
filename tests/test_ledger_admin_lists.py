"""The ledger and audit-log changelists cost the same with 30 rows as with 3,000: the same
queries, no COUNT over the whole table, no DISTINCT for a filter's choices, and on
PostgreSQL an index walk for the page. audrey (Auditor) and root (superuser) read them."""

from decimal import Decimal

import pytest
from django.db import connection

from avatars.models import AuditEntry, CreditEntry
from avatars.reports import Month
from tests.helpers.queries import page_queries

LEDGER = "/admin/avatars/creditentry/"
AUDIT = "/admin/avatars/auditentry/"
THIS_MONTH = Month.current().label
# {team} is filled with Acme's id.
PAGES = [
    LEDGER,
    f"{LEDGER}?kind__exact=charge",
    f"{LEDGER}?provider=crun",
    f"{LEDGER}?team__id__exact={{team}}",
    f"{LEDGER}?month={THIS_MONTH}",
    f"{LEDGER}?kind__exact=refund&month={THIS_MONTH}",
    AUDIT,
    f"{AUDIT}?action__exact=refund",
    f"{AUDIT}?team__id__exact={{team}}",
    f"{AUDIT}?month={THIS_MONTH}",
]
BOUND = 12
on_postgresql = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="the planner's choice is PostgreSQL's"
)


@pytest.fixture
def add_rows(acme, globex, alice, root, asset_factory):
    """Ledger and audit rows as bulk_create writes them, across teams, kinds and providers."""
    jobs = [asset_factory.job(acme, requested_by=alice) for _ in range(3)]

    def add(count: int) -> None:
        CreditEntry.objects.bulk_create(
            (
                CreditEntry(
                    team=(acme, globex)[n % 2],
                    # A job is held, charged and released once: only refunds and
                    # adjustments may name one again and again.
                    job=jobs[n % 3] if n % 5 in (3, 4) else None,
                    user=(alice, root)[n % 2],
                    provider=("crun", "sandbox", "")[n % 3],
                    kind=("hold", "charge", "release", "refund", "adjustment")[n % 5],
                    amount=Decimal(n % 97) / 100,
                )
                for n in range(count)
            ),
            batch_size=500,
        )
        AuditEntry.objects.bulk_create(
            (
                AuditEntry(
                    action=("refund", "render_requested", "budget_changed")[n % 3],
                    team=(acme, globex)[n % 2],
                    actor=(alice, root)[n % 2],
                    job=jobs[n % 3] if n % 2 else None,
                    amount=Decimal(n % 97),
                )
                for n in range(count)
            ),
            batch_size=500,
        )

    return add


@pytest.mark.parametrize("page", PAGES)
@pytest.mark.parametrize("who", ["audrey", "root"])
def test_a_ledger_list_runs_the_same_queries_with_a_hundred_times_the_rows(
    page, who, request, acme, add_rows, login
):
    client = login(request.getfixturevalue(who))
    path = page.format(team=acme.pk)
    add_rows(30)
    few = page_queries(client, path)
    add_rows(2970)
    many = page_queries(client, path)

    assert len(many) == len(few) <= BOUND
    assert not [sql for sql in many if "DISTINCT" in sql.upper()]
    # Counting reads at most pagination.COUNT_CAP rows: a LIMIT inside every COUNT.
    counts = [sql for sql in many if "COUNT(" in sql.upper()]
    assert counts and all("LIMIT" in sql.upper() for sql in counts), counts


def test_the_filters_choose_the_rows(acme, audrey, add_rows, login):
    add_rows(30)
    client = login(audrey)

    def listed(path: str) -> list:
        return list(client.get(path).context["cl"].result_list)

    assert {e.kind for e in listed(f"{LEDGER}?kind__exact=charge")} == {"charge"}
    assert {e.provider for e in listed(f"{LEDGER}?provider=crun")} == {"crun"}
    assert {e.team for e in listed(f"{LEDGER}?team__id__exact={acme.pk}")} == {acme}
    assert len(listed(f"{LEDGER}?month={THIS_MONTH}")) == 30
    assert listed(f"{LEDGER}?month={Month.current().shifted(-1).label}") == []
    assert listed(f"{LEDGER}?month=not-a-month") == []
    assert {e.action for e in listed(f"{AUDIT}?action__exact=refund")} == {"refund"}
    assert len(listed(f"{AUDIT}?month={THIS_MONTH}")) == 30


def test_the_month_filter_offers_the_last_twelve_months_from_the_calendar(audrey, login):
    response = login(audrey).get(LEDGER)

    month_filter = next(f for f in response.context["cl"].filter_specs if f.title == "month")
    offered = [value for value, _ in month_filter.lookup_choices]
    assert offered == [Month.current().shifted(-back).label for back in range(12)]
    assert response.context["cl"].date_hierarchy is None


@on_postgresql
@pytest.mark.parametrize("page", PAGES)
def test_a_ledger_list_reads_its_page_through_an_index(page, acme, audrey, add_rows, login):
    add_rows(3000)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE avatars_creditentry")
        cursor.execute("ANALYZE avatars_auditentry")
    table = "avatars_creditentry" if page.startswith(LEDGER) else "avatars_auditentry"

    listed = [
        sql
        for sql in page_queries(login(audrey), page.format(team=acme.pk))
        if f'FROM "{table}"' in sql and "ORDER BY" in sql and "LIMIT" in sql
    ]
    assert listed
    for sql in listed:
        with connection.cursor() as cursor:
            cursor.execute(f"EXPLAIN {sql}")
            plan = "\n".join(row[0] for row in cursor.fetchall())
        assert f"Seq Scan on {table}" not in plan, plan
        assert "Index" in plan, plan
