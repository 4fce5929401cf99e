"""The audit pages at /credits/: who may open them, and that their figures are right.

Only audrey (Auditor) and root (superuser) may see the reports; alice and charlie (Marketing)
and bob (Editor) get 403, and anonymous visitors are sent to the admin login.
"""

import csv
import io
import re
from decimal import Decimal
from unittest import mock

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils.timesince import timesince

from avatars import report_rows, reports
from avatars.models import AuditEntry, CreditEntry, RenderJob
from tests.helpers.credit_ledger import OCT, Ledger, build_ledger

pytestmark = pytest.mark.django_db

PAGES = ["/credits/", "/credits/ledger/", "/credits/holds/", "/credits/reconciliation/"]
PAGES.append("/credits/audit/")
D = Decimal


@pytest.fixture
def ledger(asset_factory, acme, globex, alice, bob, charlie, root) -> Ledger:
    return build_ledger(asset_factory, acme, globex, alice, bob, charlie, root)


def csv_of(response) -> list[list[str]]:
    assert response.streaming
    body = b"".join(response.streaming_content).decode()
    return list(csv.reader(io.StringIO(body)))


def breakdown(response, key: str) -> dict[str, tuple[Decimal, int]]:
    section = next(s for s in response.context["sections"] if s["key"] == key)
    return {row["label"]: (row["amount"], row["entries"]) for row in section["rows"]}


# --- who may look -----------------------------------------------------------------------------


@pytest.mark.parametrize("page", PAGES)
@pytest.mark.parametrize("who", ["audrey", "root"])
def test_auditors_and_superusers_can_open_it(page, who, request, login, settings):
    settings.CRUN_API_KEY = ""
    response = login(request.getfixturevalue(who)).get(page)
    assert response.status_code == 200


@pytest.mark.parametrize("page", PAGES)
@pytest.mark.parametrize("who", ["alice", "bob", "charlie"])
def test_team_members_are_refused(page, who, request, login):
    response = login(request.getfixturevalue(who)).get(page)
    assert response.status_code == 403
    assert b"for Auditors and administrators" in response.content
    assert login(request.getfixturevalue(who)).get(page + "?format=csv").status_code == 403


@pytest.mark.parametrize("page", PAGES)
def test_anonymous_visitors_are_sent_to_log_in(page, client):
    response = client.get(page)
    assert response.status_code == 302
    assert response["Location"] == f"/admin/login/?next={page}"


@pytest.mark.parametrize("page", PAGES)
def test_no_page_offers_a_way_to_change_data(page, audrey, login, ledger, settings):
    settings.CRUN_API_KEY = ""
    client = login(audrey)
    html = client.get(page).content.decode()
    forms = re.findall(r"<form\b[^>]*>", html)
    posting = [form for form in forms if 'method="post"' in form.lower()]
    assert posting == ['<form id="logout-form" method="post" action="/admin/logout/">']
    assert client.post(page).status_code == 405


# --- the overview -----------------------------------------------------------------------------


def test_the_month_totals_are_right(audrey, login, ledger):
    response = login(audrey).get("/credits/?month=2025-11")

    totals = response.context["totals"]
    assert (totals.charged, totals.charges) == (D("1.18"), 3)
    assert (totals.refunded, totals.refunds) == (D("-1.00"), 1)
    assert (totals.adjusted, totals.adjustments) == (D("0.50"), 1)
    assert totals.net == D("0.68")
    assert (totals.rerenders, totals.rerender_count) == (D("0.40"), 1)
    held = response.context["held"]
    assert (held.amount, held.count) == (D("0.80"), 2)
    failures = response.context["failures"]
    assert (failures.count, failures.reported) == (1, 1)
    assert (failures.lost, failures.estimated) == (D("0.05"), D("0.30"))

    html = response.content.decode()
    for shown in ["$1.18", "−$1.00", "$0.50", "$0.68", "$0.80", "$0.05", "$0.30", "$0.40"]:
        assert shown in html
    assert "2 renders not yet settled" in html
    assert "1 failed render, estimated at $0.30" in html


def test_the_breakdowns_are_right(audrey, login, ledger):
    response = login(audrey).get("/credits/?month=2025-11")

    assert breakdown(response, "team") == {"Acme": (D("0.08"), 4), "Globex": (D("0.60"), 1)}
    assert breakdown(response, "user") == {
        "charlie": (D("0.60"), 1),
        "root": (D("0.50"), 1),
        "bob": (D("0.40"), 1),
        # root refunded alice's render: it counts against what alice spent
        "alice": (D("-0.82"), 2),
    }
    assert breakdown(response, "avatar") == {
        "Gia": (D("0.60"), 1),
        "(no render)": (D("0.50"), 1),
        "Ada": (D("-0.42"), 3),
    }
    assert breakdown(response, "provider") == {
        "replicate": (D("0.60"), 1),
        "(none)": (D("0.50"), 1),
        "crun": (D("-0.42"), 3),
    }
    months = breakdown(response, "month")
    assert len(months) == 12
    assert months["Oct 2025"] == (D("2.00"), 1)
    assert months["Nov 2025"] == (D("0.68"), 5)
    assert months["Dec 2024"] == (D("0"), 0)


def test_a_team_filter_narrows_every_figure(audrey, login, ledger):
    response = login(audrey).get("/credits/?month=2025-11&team=acme")

    totals = response.context["totals"]
    assert (totals.charged, totals.refunded, totals.adjusted) == (D("0.58"), D("-1.00"), D("0.5"))
    assert totals.net == D("0.08")
    assert response.context["held"].amount == D("0.70")
    assert response.context["failures"].lost == D("0.05")
    assert breakdown(response, "team") == {"Acme": (D("0.08"), 4)}
    months = breakdown(response, "month")
    assert (months["Oct 2025"], months["Nov 2025"]) == ((D("2.00"), 1), (D("0.08"), 4))


def test_another_month_has_its_own_figures(audrey, login, ledger):
    response = login(audrey).get("/credits/?month=2025-10")

    totals = response.context["totals"]
    assert (totals.charged, totals.net, totals.rerenders) == (D("2.00"), D("2.00"), D("0"))
    failures = response.context["failures"]
    assert (failures.count, failures.lost, failures.estimated) == (1, D("0.09"), D("0"))
    assert breakdown(response, "team") == {"Acme": (D("2.00"), 1)}


def test_it_defaults_to_this_month_and_explains_a_bad_month(audrey, login, ledger):
    client = login(audrey)
    assert client.get("/credits/").context["month"] == reports.Month.current()

    response = client.get("/credits/?month=2025-13")
    assert response.context["month"] == reports.Month.current()
    assert "“2025-13” is not a month like 2026-11." in response.content.decode()


def test_the_team_chart_has_a_bar_per_team_with_its_amount(audrey, login, ledger):
    html = login(audrey).get("/credits/?month=2025-11").content.decode()

    chart = re.search(r'<svg class="bar-chart" id="chart-team".*?</svg>', html, re.S).group()
    assert chart.count('class="bar-fill"') == 2
    assert ">Acme</text>" in chart and ">$0.08</text>" in chart
    assert ">Globex</text>" in chart and ">$0.60</text>" in chart
    assert 'width="100.0%"' in chart  # the biggest bar spans the chart
    assert "<script" not in html.split('id="content-main"')[1]


def test_a_negative_spend_draws_a_bar_of_its_own_colour(audrey, login, ledger):
    html = login(audrey).get("/credits/?month=2025-11").content.decode()

    chart = re.search(r'<svg class="bar-chart" id="chart-user".*?</svg>', html, re.S).group()
    assert re.search(r'<g class="bar negative">\s*<text[^>]*>alice</text>', chart)
    assert ">−$0.82</text>" in chart


def test_breakdown_lines_link_to_their_ledger_rows(audrey, login, ledger):
    html = login(audrey).get("/credits/?month=2025-11").content.decode()

    assert 'href="/credits/ledger/?month=2025-11&amp;team=acme"' in html
    assert 'href="/credits/ledger/?month=2025-11&amp;user=alice"' in html
    assert 'href="/credits/ledger/?month=2025-11&amp;provider=crun"' in html


# --- CSV --------------------------------------------------------------------------------------


def test_the_overview_downloads_as_the_ledger_summary(audrey, login, ledger):
    response = login(audrey).get("/credits/?month=2025-11&format=csv")

    assert response["Content-Disposition"] == 'attachment; filename="credits-summary-2025-11.csv"'
    rows = csv_of(response)
    assert rows[0] == [
        "month",
        "team",
        "team_slug",
        "user",
        "provider",
        "kind",
        "entries",
        "amount",
    ]
    assert ["2025-11", "Acme", "acme", "alice", "crun", "charge", "1", "0.1800"] in rows
    assert ["2025-11", "Acme", "acme", "alice", "crun", "refund", "1", "-1.0000"] in rows
    assert ["2025-11", "Acme", "acme", "root", "", "adjustment", "1", "0.5000"] in rows
    assert ["2025-11", "TOTAL", "", "", "", "net_spend", "5", "0.6800"] in rows
    assert ["2025-11", "TOTAL", "", "", "", "open_holds", "2", "0.8000"] in rows


def test_each_breakdown_downloads_in_full(audrey, login, ledger):
    response = login(audrey).get("/credits/?month=2025-11&format=csv&by=user&team=acme")

    filename = "spend-by-user-2025-11-acme.csv"
    assert response["Content-Disposition"] == f'attachment; filename="{filename}"'
    assert csv_of(response) == [
        ["user", "key", "entries", "amount"],
        ["root", "root", "1", "0.5000"],
        ["bob", "bob", "1", "0.4000"],
        ["alice", "alice", "2", "-0.8200"],
    ]


def test_csvs_name_the_team_as_the_pages_do_with_its_slug_beside(audrey, login, ledger, acme):
    acme.name = "=Acme Field Sales"
    acme.save()
    client = login(audrey)

    teams = csv_of(client.get("/credits/?month=2025-11&format=csv&by=team"))
    summary = csv_of(client.get("/credits/?month=2025-11&format=csv"))

    assert teams[0] == ["team", "key", "entries", "amount"]
    assert ["Globex", "globex", "1", "0.6000"] in teams
    assert ["'=Acme Field Sales", "acme", "4", "0.0800"] in teams
    assert {tuple(row[1:3]) for row in summary[1:]} == {
        ("'=Acme Field Sales", "acme"),
        ("Globex", "globex"),
        ("TOTAL", ""),
    }


def test_the_ledger_downloads_every_matching_row(audrey, login, ledger):
    response = login(audrey).get("/credits/ledger/?month=2025-11&team=acme&format=csv")

    assert response["Content-Disposition"] == 'attachment; filename="ledger-2025-11-acme.csv"'
    rows = csv_of(response)
    assert rows[0] == [
        "time",
        "team",
        "team_slug",
        "kind",
        "amount",
        "provider",
        "job",
        "user",
        "requester",
        "reason",
        "campaign",
    ]
    assert len(rows) == 1 + 11
    first = str(ledger.first.pk)
    refund = ["2025-11-10T12:00:00+00:00", "Acme", "acme", "refund", "-1.0000", "crun", first]
    assert [*refund, "root"] == next(row for row in rows if row[3] == "refund")[:8]
    adjustment = next(row for row in rows if row[3] == "adjustment")
    assert adjustment[4:] == ["0.5000", "", "", "root", "root", "'=goodwill", ""]


def test_the_other_pages_download_too(audrey, login, ledger):
    client = login(audrey)
    holds = client.get("/credits/holds/?format=csv")
    assert holds["Content-Disposition"].startswith('attachment; filename="open-holds-')
    rows = csv_of(holds)
    assert rows[0] == report_rows.HOLDS_HEADER
    assert sorted(row[-1] for row in rows[1:]) == ["0.1000", "0.7000"]

    rows = csv_of(client.get("/credits/reconciliation/?format=csv"))
    assert rows[0] == report_rows.RECONCILIATION_HEADER
    assert rows[1][0] == str(ledger.failed.pk)
    assert rows[1][6:] == ["0.3000", "0.0500", "-0.2500", "-83.3"]

    AuditEntry.objects.create(action="refund", team=ledger.first.team, amount=D("-1"))
    audit = client.get("/credits/audit/?format=csv")
    assert audit["Content-Disposition"] == 'attachment; filename="audit-all.csv"'
    assert csv_of(audit)[1][1:] == ["Acme", "acme", "refund", "", "", "-1.0000", ""]


# --- the ledger, holds, reconciliation and audit pages ----------------------------------------


def ledger_rows(client, query: str) -> list[CreditEntry]:
    return client.get(f"/credits/ledger/?{query}").context["page"].rows


def test_filters_narrow_the_ledger(audrey, login, ledger):
    client = login(audrey)

    assert len(ledger_rows(client, "")) == 20
    assert [e.kind for e in ledger_rows(client, "kind=refund")] == ["refund"]
    assert len(ledger_rows(client, "month=2025-11&team=globex")) == 3
    assert len(ledger_rows(client, "provider=replicate")) == 6
    # alice's renders, including root's refund of one of them
    alice = ledger_rows(client, "month=2025-11&user=alice")
    assert len(alice) == 7
    assert {e.user.username for e in alice} == {"alice", "root"}


def test_the_ledger_shows_each_row(audrey, login, ledger):
    html = login(audrey).get("/credits/ledger/?kind=refund").content.decode()

    assert "2025-11-10 12:00" in html
    assert "-1.0000" in html
    assert f'href="/admin/avatars/renderjob/{ledger.first.pk}/change/">#{ledger.first.pk}' in html
    assert 'alice <span class="quiet">(entered by root)</span>' in html


def test_the_ledger_pages_through_without_counting(audrey, login, acme):
    CreditEntry.objects.bulk_create(
        CreditEntry(team=acme, kind="adjustment", amount=D(n)) for n in range(1, 121)
    )
    client = login(audrey)

    first = client.get("/credits/ledger/")
    page = first.context["page"]
    assert [e.amount for e in page.rows][:2] == [D(120), D(119)]
    assert (len(page.rows), page.newer) == (50, "")
    second = client.get(f"/credits/ledger/{page.older}").context["page"]
    assert second.rows[0].amount == D(70)
    third = client.get(f"/credits/ledger/{second.older}").context["page"]
    assert (third.rows[-1].amount, third.older) == (D(1), "")
    back = client.get(f"/credits/ledger/{third.newer}").context["page"]
    assert [e.amount for e in back.rows] == [e.amount for e in second.rows]


def test_the_ledger_pages_keep_their_filters(audrey, login, acme, globex):
    CreditEntry.objects.bulk_create(
        CreditEntry(team=(acme, globex)[n % 2], kind="adjustment", amount=D(n))
        for n in range(1, 121)
    )
    client = login(audrey)

    first = client.get("/credits/ledger/?kind=adjustment&team=acme").context["page"]
    assert first.older.startswith("?kind=adjustment&team=acme&c=o")
    second = client.get(f"/credits/ledger/{first.older}")
    page = second.context["page"]

    assert [e.amount for e in page.rows] == [D(n) for n in range(20, 0, -2)]
    assert page.first == "?kind=adjustment&team=acme"
    assert page.newer.startswith("?kind=adjustment&team=acme&c=n")
    assert page.older == ""
    # The download is every matching row, wherever the page is.
    assert 'href="?kind=adjustment&amp;team=acme&amp;format=csv"' in second.content.decode()


def test_open_holds_are_listed_with_their_age(audrey, login, ledger, asset_factory, acme):
    stuck = asset_factory.job(acme, "succeeded")
    CreditEntry.objects.create(team=acme, job=stuck, kind="hold", amount=D("0.25"))
    response = login(audrey).get("/credits/holds/")

    holds = response.context["page"].rows
    assert {(h.job_id, h.amount) for h in holds} == {
        (ledger.in_progress.pk, D("0.70")),
        (holds[-1].job_id, D("0.10")),
        (stuck.pk, D("0.25")),
    }
    html = response.content.decode()
    assert "$1.05</strong> held for 3 renders" in html
    assert "not released" in html
    assert f'data-label="Age">{timesince(OCT)}</td>' in html


def test_reconciliation_lists_costs_more_than_ten_percent_off(audrey, login, asset_factory, acme):
    def job(estimate: str, cost: str | None) -> RenderJob:
        fields = {"estimated_cost": D(estimate), "cost": D(cost) if cost else None}
        return asset_factory.job(acme, provider="crun", **fields)

    over, under, edge_over = job("0.20", "0.25"), job("0.20", "0.15"), job("1.00", "1.1001")
    for fine in [job("0.20", "0.21"), job("1.00", "1.10"), job("0.50", None)]:
        assert fine
    # Drafts booked before they were free: the draft provider's jobs are never listed.
    asset_factory.job(acme, provider="sandbox", estimated_cost=D("0.30"), cost=D("0.38"))
    response = login(audrey).get("/credits/reconciliation/")

    rows = response.context["page"].rows
    assert {j.pk: (j.difference, j.percent) for j in rows} == {
        over.pk: (D("0.05"), "25.0"),
        under.pk: (D("-0.05"), "-25.0"),
        edge_over.pk: (D("0.1001"), "10.0"),
    }


def test_the_audit_log_filters(audrey, login, ledger, acme, globex, root):
    with mock.patch("django.utils.timezone.now", return_value=OCT):
        AuditEntry.objects.create(action="budget_changed", team=globex, actor=root)
    AuditEntry.objects.create(action="refund", team=acme, actor=root, amount=D("-1"))
    AuditEntry.objects.create(action="render_requested", team=acme, amount=D("0.2"))
    client = login(audrey)

    def actions(query: str) -> list[str]:
        return [e.action for e in client.get(f"/credits/audit/?{query}").context["page"].rows]

    assert actions("") == ["render_requested", "refund", "budget_changed"]
    assert actions("team=acme") == ["render_requested", "refund"]
    assert actions("action=refund") == ["refund"]
    assert actions("actor=root") == ["refund", "budget_changed"]
    assert actions("month=2025-10") == ["budget_changed"]
    html = client.get("/credits/audit/").content.decode()
    assert "Budget changed" in html and "-1.0000" in html


# --- query counts -----------------------------------------------------------------------------


def fill(acme, globex, alice, root, jobs: list[RenderJob], count: int) -> None:
    """`count` more rows in every table the pages read, across teams, users and providers."""
    CreditEntry.objects.bulk_create(
        CreditEntry(
            team=(acme, globex)[n % 2],
            job=jobs[n % len(jobs)] if n % 3 else None,
            user=(alice, root)[n % 2],
            provider=("crun", "sandbox", "")[n % 3],
            kind=("refund", "adjustment")[n % 2],
            amount=D(n) / 100,
        )
        for n in range(count)
    )
    template = jobs[0]
    new_jobs = RenderJob.objects.bulk_create(
        RenderJob(
            team=acme,
            avatar_id=template.avatar_id,
            script_revision_id=template.script_revision_id,
            voice_id=template.voice_id,
            provider="crun",
            status="processing",
            requested_by=alice,
            estimated_cost=D("0.10"),
            cost=D("0.20"),
        )
        for _ in range(count)
    )
    CreditEntry.objects.bulk_create(
        CreditEntry(team=acme, job=job, user=alice, kind="hold", amount=D("0.10"))
        for job in new_jobs
    )
    AuditEntry.objects.bulk_create(
        AuditEntry(action="refund", team=acme, actor=root, amount=D(n)) for n in range(count)
    )


@pytest.mark.parametrize("page", [f"{p}?month=2025-11" for p in PAGES] + PAGES)
def test_the_query_count_does_not_grow_with_the_rows(
    page, audrey, login, ledger, acme, globex, alice, root, settings
):
    settings.CRUN_API_KEY = ""
    client = login(audrey)
    jobs = [ledger.first, ledger.failed, ledger.rerender]
    client.get(page)

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert client.get(page).status_code == 200
        return len(captured)

    fill(acme, globex, alice, root, jobs, 10)
    few = queries()
    fill(acme, globex, alice, root, jobs, 190)
    many = queries()

    print(f"{page}: {few} queries with 10 more rows, {many} with 200")
    assert many == few
    assert many <= 16
