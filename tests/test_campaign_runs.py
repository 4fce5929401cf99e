"""Campaign runs against the fake Crun over HTTP: nothing is sent before the sample, the
sample sends exactly its rows, the run each remaining valid row once with its own text, a
repeat sends nothing; out of credits pauses the campaign; a retry sends only the failed
rows; a send the budget or the cap cannot cover sends nothing.

Who does what (tests/conftest.py): alice (Marketing, Acme) creates and runs campaigns;
bob (Editor, Acme) approves their samples; alice cannot approve her own.
"""

from decimal import Decimal

import pytest

from avatars.campaigns import importing, progress, sending
from avatars.models import CampaignStatus, CreditEntry, JobStatus, ShareLink
from tests.helpers.campaigns import PEOPLE, campaign, jobs_of, sent_texts
from tests.helpers.jobs import wait_for
from tests.helpers.ledger import DOLLAR_A_SECOND
from tests.helpers.settling import settle

pytestmark = pytest.mark.django_db(transaction=True)
C = CampaignStatus


@pytest.fixture
def worker_timeout() -> int:
    return 100


@pytest.fixture
def worker_threads() -> int:
    """One at a time, so that "after the first refusal" means exactly one."""
    return 1


def finish(fake, campaign_id: int) -> None:
    settle(fake)
    from avatars.models import Campaign

    for job in jobs_of(Campaign.objects.get(pk=campaign_id)):
        wait_for(job)


def approved_on_a_sample(fake, made, marketer, editor, rows: int = 1) -> None:
    """The campaign's first rows rendered as its sample, and the sample approved."""
    sending.sample(made.pk, marketer, rows=rows)
    finish(fake, made.pk)
    sending.approve_sample(made.pk, editor)


def test_nothing_is_sent_before_the_sample_and_the_sample_sends_exactly_its_rows(
    alice, acme, asset_factory, fake_crun, embedded_worker
):
    made = campaign(asset_factory, acme, alice)
    settle(fake_crun)
    assert fake_crun.calls["create"] == 0

    assert sending.sample(made.pk, alice, rows=2) == 2
    finish(fake_crun, made.pk)

    assert fake_crun.calls["create"] == 2
    assert sent_texts(fake_crun) == [
        "Hi Priya, welcome to Initech!",
        "Hi Lars, welcome to Globex!",
    ]
    made.refresh_from_db()
    assert made.status == C.SAMPLING


def test_the_run_sends_each_remaining_row_once_with_its_own_text_and_again_sends_nothing(
    alice, bob, acme, asset_factory, fake_crun, embedded_worker
):
    made = campaign(asset_factory, acme, alice)
    approved_on_a_sample(fake_crun, made, alice, bob)

    assert sending.run(made.pk, alice) == 4
    finish(fake_crun, made.pk)
    assert sending.run(made.pk, alice) == 0
    settle(fake_crun)

    assert fake_crun.calls["create"] == 5
    assert sorted(sent_texts(fake_crun)) == sorted(
        [
            "Hi Priya, welcome to Initech!",
            "Hi Lars, welcome to Globex!",
            # An empty cell says the variable's fallback.
            "Hi Ana, welcome to our team!",
            "Hi Chen, welcome to Hooli!",
            "Hi Sam, welcome to Acme!",
        ]
    )
    made.refresh_from_db()
    assert made.status == C.FINISHED
    summary = progress.summary(made)
    assert summary["counts"]["succeeded"] == 5
    # Every person has a live link of their own, titled for them.
    titles = sorted(
        ShareLink.objects.filter(job__campaign_row__campaign=made).values_list("title", flat=True)
    )
    assert titles == [f"A video for {row[0]}" for row in sorted(PEOPLE[1:])]


def test_the_run_waits_for_another_editor_to_approve_the_sample(
    alice, bob, acme, asset_factory, fake_crun, embedded_worker
):
    made = campaign(asset_factory, acme, bob)
    with pytest.raises(importing.CampaignError, match="approve the sample"):
        sending.run(made.pk, alice)
    sending.sample(made.pk, alice, rows=1)
    finish(fake_crun, made.pk)

    with pytest.raises(importing.CampaignError, match="Another Editor"):
        sending.approve_sample(made.pk, bob)  # he created it
    settle(fake_crun)
    assert fake_crun.calls["create"] == 1


def test_out_of_credits_pauses_the_campaign_after_the_first_refusal(
    alice, bob, acme, asset_factory, fake_crun, embedded_worker
):
    made = campaign(asset_factory, acme, alice)
    approved_on_a_sample(fake_crun, made, alice, bob)
    fake_crun.configure(create_error=402)

    sending.run(made.pk, alice)
    settle(fake_crun)

    made.refresh_from_db()
    assert made.status == C.PAUSED
    assert "out of credits" in made.paused_reason
    assert fake_crun.calls["create"] == 2  # the sample's, then the one refusal
    states = progress.progress(made).counts
    assert states["failed"] == 1 and states["queued"] == 3

    fake_crun.configure(create_error=None)
    assert sending.resume(made.pk, alice) == 3
    finish(fake_crun, made.pk)
    assert sending.retry_failed(made.pk, alice) == 1
    finish(fake_crun, made.pk)
    made.refresh_from_db()
    assert made.status == C.FINISHED
    assert fake_crun.calls["create"] == 6
    assert progress.progress(made).counts["succeeded"] == 5


def test_retry_sends_only_the_failed_rows_and_keeps_each_attempt(
    alice, bob, acme, asset_factory, fake_crun, embedded_worker
):
    made = campaign(asset_factory, acme, alice)
    approved_on_a_sample(fake_crun, made, alice, bob, rows=2)
    fake_crun.configure(fail_generation=True)
    sending.run(made.pk, alice)
    finish(fake_crun, made.pk)
    assert progress.progress(made).counts["failed"] == 3

    fake_crun.configure(fail_generation=False)
    assert sending.retry_failed(made.pk, alice) == 3
    finish(fake_crun, made.pk)

    assert fake_crun.calls["create"] == 2 + 3 + 3
    counts = progress.progress(made).counts
    assert counts["succeeded"] == 5 and counts.get("failed", 0) == 0
    retried = [job for job in jobs_of(made) if job.parent_id]
    assert len(retried) == 3
    assert all(job.parent.status == JobStatus.FAILED for job in retried)
    with pytest.raises(importing.CampaignError, match="No row has failed"):
        sending.retry_failed(made.pk, alice)


def test_a_run_the_budget_cannot_cover_sends_nothing_and_says_how_many_rows_fit(
    alice, bob, acme, asset_factory, fake_crun, embedded_worker, settings
):
    settings.PROVIDER_PRICES = {**settings.PROVIDER_PRICES, "crun": DOLLAR_A_SECOND}
    made = campaign(asset_factory, acme, alice)
    approved_on_a_sample(fake_crun, made, alice, bob)
    settle(fake_crun)
    spent = progress.progress(made).committed
    first_two = sum(made.rows.filter(number__in=[3, 4]).values_list("estimate", flat=True))
    acme.monthly_budget = spent + first_two + Decimal("0.01")
    acme.approval_threshold = None
    acme.save()
    holds_before = CreditEntry.objects.filter(kind=CreditEntry.Kind.HOLD).count()

    with pytest.raises(
        importing.CampaignError, match=r"Nothing was sent.*2 of the 4 rows would fit"
    ):
        sending.run(made.pk, alice)
    settle(fake_crun)

    assert fake_crun.calls["create"] == 1
    assert CreditEntry.objects.filter(kind=CreditEntry.Kind.HOLD).count() == holds_before
    made.refresh_from_db()
    assert made.status == C.APPROVED


def test_the_campaigns_cap_refuses_a_sample_it_cannot_cover(
    alice, acme, asset_factory, fake_crun, embedded_worker
):
    made = campaign(asset_factory, acme, alice, cap=Decimal("0.00"))
    with pytest.raises(importing.CampaignError, match=r"cap of \$0.00 has \$0.00 left.*0 of the 3"):
        sending.sample(made.pk, alice)
    settle(fake_crun)
    assert fake_crun.calls["create"] == 0


def test_a_sample_of_chosen_rows_sends_those_and_the_run_never_sends_them_again(
    alice, bob, acme, asset_factory, fake_crun, embedded_worker
):
    made = campaign(asset_factory, acme, alice)
    assert sending.sample(made.pk, alice, numbers=[4, 6]) == 2
    finish(fake_crun, made.pk)
    with pytest.raises(importing.CampaignError, match=r"cannot be sampled.*: 4"):
        sending.sample(made.pk, alice, numbers=[4, 5])
    sending.approve_sample(made.pk, bob)

    assert sending.run(made.pk, alice) == 3
    finish(fake_crun, made.pk)
    assert sorted(sent_texts(fake_crun)[:2]) == [
        "Hi Ana, welcome to our team!",
        "Hi Sam, welcome to Acme!",
    ]
    assert fake_crun.calls["create"] == 5


def test_canceling_a_paused_campaign_cancels_the_rows_not_sent_and_releases_their_holds(
    alice, bob, acme, asset_factory, fake_crun, embedded_worker
):
    made = campaign(asset_factory, acme, alice)
    approved_on_a_sample(fake_crun, made, alice, bob)
    fake_crun.configure(create_error=402)
    sending.run(made.pk, alice)
    settle(fake_crun)
    waiting = [job for job in jobs_of(made) if job.status == JobStatus.QUEUED]
    assert len(waiting) == 3

    assert sending.cancel(made.pk, alice) == 3
    settle(fake_crun)

    made.refresh_from_db()
    assert made.status == C.CANCELED
    for job in waiting:
        job.refresh_from_db()
        kinds = sorted(job.credit_entries.values_list("kind", flat=True))
        assert job.status == JobStatus.CANCELED and kinds == ["hold", "release"]
    assert progress.progress(made).held == 0
    assert fake_crun.calls["create"] == 2  # the sample's and the one refused
