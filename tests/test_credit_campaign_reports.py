"""Spend by campaign at /credits/campaigns/, and the ledger CSV's campaign column.

Acme's "Welcome" campaign: Priya's render held 0.20 and charged 0.18 in November, then 0.05
of it refunded; Lars's failed (held 0.30, released); Ana's still renders (holding 0.70);
Chen's was charged 1.00 in October. Globex's "Launch": one render charged 0.60 in November.
A render of no campaign (held and charged 0.40) stays out of the report. Only audrey
(Auditor) and root read the reports; alice (Marketing) is refused.
"""

import csv
import io
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from avatars import report_rows
from avatars.models import Campaign
from tests.helpers import campaigns
from tests.helpers.campaign_ledger import copies, rendered, rows_of
from tests.helpers.credit_ledger import NOV, OCT, book
from tests.helpers.queries import page_queries

pytestmark = pytest.mark.django_db
D = Decimal
PAGE = "/credits/campaigns/"
HEADER = [
    "campaign",
    "campaign_id",
    "team",
    "team_slug",
    "renders",
    "charges",
    "charged",
    "refunded",
    "adjusted",
    "net",
    "held",
]


@pytest.fixture(autouse=True)
def crun(crun_key) -> None:
    """Campaigns are priced on Crun; nothing is sent to it."""


@pytest.fixture
def welcome(asset_factory, acme, globex, alice, charlie) -> Campaign:
    made = campaigns.campaign(asset_factory, acme, alice)
    priya, lars, ana, chen, _ = rows_of(made)
    first = rendered(priya, hold="0.20", charge="0.18", when=NOV, requested_by=alice)
    book(NOV, team=acme, job=first, kind="refund", amount=D("-0.05"), reason="blurry")
    rendered(lars, "failed", hold="0.30", when=NOV, requested_by=alice)
    rendered(ana, "processing", hold="0.70", when=NOV, requested_by=alice)
    rendered(chen, hold="1.00", charge="1.00", when=OCT, requested_by=alice)

    launch = campaigns.campaign(asset_factory, globex, charlie, name="Launch")
    rendered(rows_of(launch)[0], hold="0.60", charge="0.60", when=NOV, requested_by=charlie)

    alone = asset_factory.job(acme, "succeeded", provider="crun", requested_by=alice)
    book(NOV, team=acme, job=alone, provider="crun", kind="hold", amount=D("0.40"))
    book(NOV, team=acme, job=alone, provider="crun", kind="release", amount=D("-0.40"))
    book(NOV, team=acme, job=alone, provider="crun", kind="charge", amount=D("0.40"))
    return made


def csv_of(response) -> list[list[str]]:
    assert response.streaming
    return list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))


def figures(response) -> dict[str, tuple]:
    keys = ("renders", "charges", "charged", "refunded", "adjusted", "net", "held")
    return {row["campaign"]: tuple(row[k] for k in keys) for row in response.context["rows"]}


def test_each_campaigns_spend_is_its_renders_ledger_rows(welcome, audrey, login):
    response = login(audrey).get(PAGE)

    assert figures(response) == {
        "Welcome": (4, 2, D("1.1800"), D("-0.0500"), D("0"), D("1.1300"), D("0.7000")),
        "Launch": (1, 1, D("0.6000"), D("0"), D("0"), D("0.6000"), D("0")),
    }
    assert [row["campaign"] for row in response.context["rows"]] == ["Welcome", "Launch"]
    assert f'href="/studio/campaigns/{welcome.pk}/">Welcome</a>' in response.content.decode()


def test_a_month_counts_its_bookings_and_every_open_hold(welcome, audrey, login):
    client = login(audrey)

    november = figures(client.get(f"{PAGE}?month=2025-11"))
    october = figures(client.get(f"{PAGE}?month=2025-10&team=acme"))

    assert november["Welcome"] == (3, 1, D("0.18"), D("-0.05"), D("0"), D("0.13"), D("0.70"))
    assert november["Launch"] == (1, 1, D("0.60"), D("0"), D("0"), D("0.60"), D("0"))
    assert october == {"Welcome": (1, 1, D("1.00"), D("0"), D("0"), D("1.00"), D("0.70"))}
    assert figures(client.get(f"{PAGE}?month=2025-09")) == {}


def test_it_downloads_as_csv(welcome, audrey, login):
    response = login(audrey).get(f"{PAGE}?month=2025-11&format=csv")

    assert response["Content-Disposition"] == (
        'attachment; filename="spend-by-campaign-2025-11.csv"'
    )
    rows = csv_of(response)
    assert rows[0] == HEADER == report_rows.CAMPAIGN_SPEND_HEADER
    launch = Campaign.objects.get(name="Launch")
    money = {
        "Launch": ["0.6000", "0.0000", "0.0000", "0.6000", "0.0000"],
        "Welcome": ["0.1800", "-0.0500", "0.0000", "0.1300", "0.7000"],
    }
    assert rows[1:] == [
        ["Launch", str(launch.pk), "Globex", "globex", "1", "1", *money["Launch"]],
        ["Welcome", str(welcome.pk), "Acme", "acme", "3", "1", *money["Welcome"]],
    ]


@pytest.mark.parametrize("who", ["audrey", "root"])
def test_auditors_and_superusers_see_every_team(who, welcome, request, login):
    response = login(request.getfixturevalue(who)).get(PAGE)
    assert {row["team_slug"] for row in response.context["rows"]} == {"acme", "globex"}


def test_team_members_are_refused(welcome, alice, login):
    client = login(alice)
    assert client.get(PAGE).status_code == 403
    assert client.get(f"{PAGE}?format=csv").status_code == 403


def test_the_overview_links_to_it(welcome, audrey, login):
    html = login(audrey).get("/credits/?month=2025-11&team=acme").content.decode()
    assert 'href="/credits/campaigns/?month=2025-11&amp;team=acme">Spend by campaign' in html
    assert 'href="/credits/campaigns/"' in html


def test_the_page_costs_the_same_for_3_or_30_campaigns(welcome, audrey, login):
    client = login(audrey)
    for copy in copies(welcome, 1):
        rendered(rows_of(copy)[0], hold="0.10", charge="0.10", when=NOV)
    few = page_queries(client, PAGE)
    for copy in copies(welcome, 27):
        rendered(rows_of(copy)[0], hold="0.10", charge="0.10", when=NOV)
    many = page_queries(client, PAGE)

    assert len(client.get(PAGE).context["rows"]) == 30
    print(f"spend by campaign: {len(few)} queries with 3 campaigns, {len(many)} with 30")
    assert len(many) == len(few) <= 8


# --- the ledger CSV ---------------------------------------------------------------------------


def ledger_csv(client) -> list[list[str]]:
    with CaptureQueriesContext(connection) as captured:
        rows = csv_of(client.get("/credits/ledger/?format=csv"))
    rows.append([str(len(captured))])
    return rows


def test_the_ledger_csv_names_each_rows_campaign(welcome, audrey, login):
    *rows, _ = ledger_csv(login(audrey))

    assert rows[0][-1] == "campaign" and rows[0] == report_rows.LEDGER_HEADER
    campaign_of = {(row[3], row[4]): row[-1] for row in rows[1:]}
    assert campaign_of[("refund", "-0.0500")] == "Welcome"
    assert campaign_of[("charge", "0.6000")] == "Launch"
    assert campaign_of[("charge", "0.4000")] == ""
    assert len(rows) == 1 + 16


def test_the_ledger_csv_reads_no_query_per_row(welcome, audrey, login):
    client = login(audrey)
    *_, few = ledger_csv(client)
    for copy in copies(welcome, 10):
        rendered(rows_of(copy)[0], hold="0.10", charge="0.10", when=NOV)
    *rows, many = ledger_csv(client)

    assert len(rows) == 1 + 16 + 30
    assert many == few
