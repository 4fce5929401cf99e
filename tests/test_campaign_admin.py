"""Campaigns and their rows in the admin. alice (Marketing) runs Acme's campaigns, audrey
(Auditor) reads every team's and changes nothing, charlie (Globex) sees none of Acme's."""

import html
from decimal import Decimal

import pytest

from avatars.models import Campaign, CampaignStatus
from tests.helpers import campaigns
from tests.helpers.campaign_ledger import copies, rendered, rows_of
from tests.helpers.credit_ledger import book
from tests.helpers.queries import page_queries

pytestmark = pytest.mark.django_db
CAMPAIGNS = "/admin/avatars/campaign/"
ROWS = "/admin/avatars/campaignrow/"
BOUND = 12


@pytest.fixture(autouse=True)
def crun(crun_key) -> None:
    """Campaigns are priced on Crun; nothing is sent to it."""


@pytest.fixture
def welcome(asset_factory, acme, alice) -> Campaign:
    """Five people; Priya's video finished (charged 0.18, then 0.05 refunded), Lars's failed."""
    made = campaigns.campaign(asset_factory, acme, alice)
    priya, lars, *_ = rows_of(made)
    job = rendered(priya, hold="0.20", charge="0.18", requested_by=alice)
    book(job.created_at, team=acme, job=job, kind="refund", amount=Decimal("-0.05"))
    rendered(lars, "failed", hold="0.30", requested_by=alice)
    return made


def text(response) -> str:
    return html.unescape(response.content.decode())


def act(client, action: str, campaign: Campaign):
    data = {"action": action, "_selected_action": [campaign.pk]}
    return client.post(CAMPAIGNS, data, follow=True)


# --- the campaigns' list and page -------------------------------------------------------------


def test_the_list_shows_each_campaigns_people_results_and_spend(welcome, audrey, login):
    response = login(audrey).get(CAMPAIGNS)

    [shown] = response.context["cl"].result_list
    assert (shown.valid_rows, shown.finished_rows, shown.failed_rows) == (5, 1, 1)
    assert shown.spent_total == Decimal("0.13")
    page = text(response)
    assert "Welcome (revision 1)" in page and "$0.13" in page and "Acme" in page


def test_members_see_their_teams_campaigns_and_auditors_every_teams(
    welcome, asset_factory, globex, charlie, alice, audrey, login
):
    campaigns.campaign(asset_factory, globex, charlie, name="Globex hello")

    def listed(user) -> list[str]:
        return [c.name for c in login(user).get(CAMPAIGNS).context["cl"].result_list]

    assert listed(alice) == ["Welcome"]
    assert listed(charlie) == ["Globex hello"]
    assert sorted(listed(audrey)) == ["Globex hello", "Welcome"]
    assert login(charlie).get(f"{CAMPAIGNS}{welcome.pk}/change/").status_code == 302


def test_the_page_is_read_only_and_links_to_the_rows_and_the_studio(welcome, alice, login):
    response = login(alice).get(f"{CAMPAIGNS}{welcome.pk}/change/")

    page = text(response)
    assert 'name="_save"' not in page and 'name="name"' not in page
    assert f'href="{ROWS}?campaign={welcome.pk}">5 rows</a>' in page
    assert f'href="/studio/campaigns/{welcome.pk}/">Open in the studio</a>' in page
    client = login(alice)
    assert client.get(f"{CAMPAIGNS}add/").status_code == 403
    assert client.post(f"{CAMPAIGNS}{welcome.pk}/delete/").status_code == 403


def test_cancel_calls_the_flow_and_a_refusal_says_why(welcome, alice, login):
    client = login(alice)

    refused = act(client, "pause_selected", welcome)
    assert "“Welcome”: Only a running campaign can be paused; this one is ready for a sample." in (
        text(refused)
    )

    done = act(client, "cancel_selected", welcome)
    welcome.refresh_from_db()
    assert welcome.status == CampaignStatus.CANCELED
    assert "Canceled 1 campaign(s)." in text(done)


def test_auditors_are_offered_no_action(welcome, audrey, login):
    client = login(audrey)
    assert client.get(CAMPAIGNS).context["action_form"] is None
    act(client, "cancel_selected", welcome)
    welcome.refresh_from_db()
    assert welcome.status == CampaignStatus.DRAFT


# --- the rows ---------------------------------------------------------------------------------


def test_the_rows_list_shows_each_rows_state_and_render(welcome, alice, login):
    priya = rows_of(welcome)[0]
    response = login(alice).get(f"{ROWS}?campaign={welcome.pk}")

    rows = list(response.context["cl"].result_list)
    assert [r.number for r in rows] == [2, 3, 4, 5, 6]
    page = text(response)
    assert f'href="/admin/avatars/renderjob/{priya.latest_job_id}/change/">#' in page
    assert page.count("Not sent") == 3
    assert 'class="badge badge-ok" title="Succeeded"' in page
    assert 'class="badge badge-bad" title="Failed"' in page


def test_the_rows_filter_by_verdict_and_campaign(welcome, alice, login):
    [other] = copies(welcome, 1)
    client = login(alice)

    assert len(client.get(f"{ROWS}?campaign={other.pk}").context["cl"].result_list) == 5
    assert client.get(f"{ROWS}?verdict__exact=invalid").context["cl"].result_list.count() == 0
    assert len(client.get(ROWS).context["cl"].result_list) == 10


def test_rows_change_only_through_uploads_and_flows(welcome, root, charlie, login):
    row = rows_of(welcome)[0]
    client = login(root)
    assert client.get(f"{ROWS}add/").status_code == 403
    assert 'name="_save"' not in text(client.get(f"{ROWS}{row.pk}/change/"))
    assert client.post(f"{ROWS}{row.pk}/delete/").status_code == 403
    assert login(charlie).get(f"{ROWS}?campaign={welcome.pk}").context["cl"].result_count == 0


# --- query counts -----------------------------------------------------------------------------


@pytest.mark.parametrize("who", ["alice", "audrey", "root"])
def test_the_campaigns_list_costs_the_same_for_3_or_30(who, request, welcome, login):
    client = login(request.getfixturevalue(who))
    copies(welcome, 2)
    few = len(page_queries(client, CAMPAIGNS))
    for copy in copies(welcome, 27):
        rendered(rows_of(copy)[0], hold="0.10", charge="0.10")
    many = len(page_queries(client, CAMPAIGNS))

    print(f"{who} campaigns: {few} queries with 3, {many} with 30")
    assert many == few <= BOUND


@pytest.mark.parametrize("who", ["alice", "audrey", "root"])
@pytest.mark.parametrize("query", ["", "?verdict__exact=valid&campaign={pk}"])
def test_the_rows_list_costs_the_same_for_5_or_30_rows(who, query, request, welcome, login):
    client = login(request.getfixturevalue(who))
    path = ROWS + query.format(pk=welcome.pk)
    few = len(page_queries(client, path))
    for copy in copies(welcome, 5):
        for row in rows_of(copy)[:3]:
            rendered(row, hold="0.10", charge="0.10")
    many = len(page_queries(client, path))

    print(f"{who} rows: {few} queries with 5 rows, {many} with 30")
    assert many == few <= BOUND
