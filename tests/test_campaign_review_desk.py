"""The review desk lists campaigns whose sample has finished rendering, for an Editor who may
approve it. alice (Marketing) creates Acme's campaign and asks for its sample; bob (Editor,
Acme) approves it; gus (Editor, Globex) never sees it."""

import html

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from avatars import access
from avatars.media_urls import media_url
from avatars.models import Campaign, CampaignStatus
from tests.helpers import campaigns
from tests.helpers.campaign_ledger import copies, rendered, rows_of

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def crun(crun_key) -> None:
    """Campaigns are priced on Crun; nothing is sent to it."""


def sampled(campaign: Campaign, *statuses: str, by=None) -> Campaign:
    """The campaign's first rows sent as its sample, their renders now in `statuses`."""
    for n, (row, status) in enumerate(zip(rows_of(campaign), statuses, strict=False)):
        row.is_sample = True
        row.save(update_fields=["is_sample"])
        poster = f"renders/{campaign.pk}/{n}/poster.jpg" if status == "succeeded" else ""
        rendered(row, status, requested_by=by, poster=poster)
    campaign.status = CampaignStatus.SAMPLING
    campaign.save(update_fields=["status"])
    return campaign


@pytest.fixture
def welcome(asset_factory, acme, alice) -> Campaign:
    return sampled(campaigns.campaign(asset_factory, acme, alice), "succeeded", "failed", by=alice)


def desk(client) -> list[Campaign]:
    return list(client.get("/review/").context["samples"])


def test_a_finished_sample_waits_on_the_desk_with_its_videos(welcome, bob, login):
    response = login(bob).get("/review/")

    [shown] = response.context["samples"]
    assert shown == welcome
    page = html.unescape(response.content.decode())
    assert f'<a href="/studio/campaigns/{welcome.pk}/">Welcome</a>' in page
    priya = rows_of(welcome)[0]
    assert f'href="/studio/renders/{priya.latest_job_id}/"' in page
    assert f'src="{media_url(priya.latest_job.poster)}"' in page
    samples = page.split("Renders awaiting review")[0]
    assert samples.count('class="thumb"') == 1  # Lars's sample failed: no video


def test_a_sample_still_rendering_is_not_listed(asset_factory, acme, alice, bob, login):
    sampled(campaigns.campaign(asset_factory, acme, alice), "succeeded", "processing", by=alice)
    assert desk(login(bob)) == []


def test_a_sample_with_no_finished_video_is_not_listed(asset_factory, acme, alice, bob, login):
    sampled(campaigns.campaign(asset_factory, acme, alice), "failed", by=alice)
    assert desk(login(bob)) == []


def test_only_a_sample_awaits_approval(welcome, bob, login):
    for status in (CampaignStatus.DRAFT, CampaignStatus.APPROVED, CampaignStatus.RUNNING):
        Campaign.objects.filter(pk=welcome.pk).update(status=status)
        assert desk(login(bob)) == []


def test_nobody_is_asked_to_approve_their_own_campaign_or_sample(
    asset_factory, acme, alice, bob, login
):
    bobs = sampled(campaigns.campaign(asset_factory, acme, bob, name="Bob's"), "succeeded")
    [asked] = copies(bobs, 1)
    Campaign.objects.filter(pk=asked.pk).update(created_by=alice)
    sampled(asked, "succeeded", by=bob)

    assert desk(login(bob)) == []


def test_other_teams_editors_do_not_see_it(welcome, gus, login):
    assert desk(login(gus)) == []


def test_the_desk_costs_the_same_for_one_or_three_samples(welcome, bob, login):
    client = login(bob)

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert client.get("/review/").status_code == 200
        return len(captured)

    one = queries()
    for copy in copies(welcome, 2):
        sampled(copy, "succeeded", "succeeded", "succeeded", by=welcome.created_by)
    three = queries()

    assert len(desk(client)) == 3
    print(f"review desk: {one} queries with one sample, {three} with three")
    assert three == one


@pytest.mark.parametrize("who", ["alice", "bob", "gus", "audrey", "root"])
def test_the_desks_list_and_the_one_campaign_rule_agree(who, request, welcome):
    user = request.getfixturevalue(who)
    listed = welcome in access.campaigns_to_approve(user)
    assert listed == access.may_approve_sample(user, welcome) == (who in ("bob", "root"))
