"""Budgets: a render the team cannot afford is refused before anything is sent, open holds
count as spent, renders over the approval threshold wait for another Editor, and the team's
pages warn at 75 % and 90 % of the month's budget.

Who may do what (the cast of tests/conftest.py, plus erin):
- alice (Marketing, Acme) requests renders; she cannot approve them.
- bob (Editor, Acme) approves or rejects other people's renders, never his own.
- erin (Editor, Acme) is the second pair of eyes for bob's requests.
- root (superuser) may approve anyone else's render in any team, never his own.
"""

import datetime
from decimal import Decimal

import pytest
from django.utils import timezone

from avatars import credits, render, roles
from avatars.models import AuditEntry, CreditEntry, JobEvent, JobStatus, RenderJob, Team
from tests.helpers.admin_forms import request_form
from tests.helpers.jobs import render_request as speech_request
from tests.helpers.jobs import wait_for
from tests.helpers.ledger import DOLLAR_A_SECOND, entries, kinds, total
from tests.helpers.settling import settle

K = CreditEntry.Kind
pipeline = pytest.mark.django_db(transaction=True)
ADD = "/admin/avatars/renderjob/add/"
JOBS = "/admin/avatars/renderjob/"


@pytest.fixture
def worker_timeout() -> int:
    """Wake idle worker threads often: delays are honoured to 0.1 s and teardown is quick."""
    return 100


@pytest.fixture
def dollar_a_second(settings) -> None:
    """Renders on Crun cost a dollar a second."""
    settings.PROVIDER_PRICES = {**settings.PROVIDER_PRICES, "crun": DOLLAR_A_SECOND}


@pytest.fixture
def erin(user_factory, acme):
    return user_factory("erin", roles.EDITOR, acme)


def spend(team: Team, amount: str) -> None:
    """Money already spent this month, as an admin's adjustment."""
    CreditEntry.objects.create(
        team=team, kind=K.ADJUSTMENT, amount=Decimal(amount), reason="spent earlier"
    )


def render_request(
    assets, team: Team, user, *, clip: bool = False, provider: str = "crun"
) -> render.RenderRequest:
    """A marketer's request to Crun: tests that send renders send them to the fake Crun, the
    others (with `crun_key`) send nothing."""
    return speech_request(assets, team, user=user, provider=provider, clip=clip)


def estimate_of(request: render.RenderRequest) -> Decimal:
    return credits.price("crun", "720p", request.audio_clip.duration_seconds)


def library(request: render.RenderRequest) -> dict[str, object]:
    """The request's choices, as tests/test_job_admin.py's request_form takes them."""
    return {"avatar": request.avatar, "script": request.script, "voice": request.voice}


def crun_form(team: Team, request: render.RenderRequest) -> dict[str, object]:
    """The admin's request form for the request, to Crun."""
    return request_form(team, library(request), provider="crun")


def nothing_sent(fake_crun) -> bool:
    """Whether Crun was asked for nothing, once the embedded worker has handled every message
    it was (wrongly or rightly) sent."""
    settle(fake_crun)
    return fake_crun.calls["create"] == 0


# --- refusals -----------------------------------------------------------------------------------


@pipeline
def test_a_render_the_budget_cannot_cover_is_refused_and_leaves_nothing_behind(
    alice, acme, asset_factory, fake_crun, embedded_worker, dollar_a_second
):
    acme.monthly_budget = Decimal("10.00")
    acme.save()
    spend(acme, "9.50")
    request = render_request(asset_factory, acme, alice, clip=True)

    with pytest.raises(render.RenderRequestError) as refused:
        render.request_render(request)

    assert list(refused.value.errors) == ["budget"]
    assert refused.value.errors["budget"] == (
        f"This render would cost about {credits.dollars(estimate_of(request))}, but only $0.50 "
        "of Acme's $10.00 budget is left this month."
    )
    # The job was created in the transaction that refused it, and went with it.
    assert not RenderJob.objects.exists() and not JobEvent.objects.exists()
    assert list(CreditEntry.objects.values_list("kind", flat=True)) == [K.ADJUSTMENT]
    assert not AuditEntry.objects.exists()
    assert nothing_sent(fake_crun)
    assert credits.budget_status(acme).left == Decimal("0.50")


def test_the_request_page_shows_a_budget_refusal(alice, acme, asset_factory, login, crun_key):
    request = render_request(asset_factory, acme, alice)
    acme.monthly_budget = Decimal("10.00")
    acme.save()
    spend(acme, "10.00")

    answer = login(alice).post(ADD, crun_form(acme, request))

    assert answer.status_code == 200
    page = answer.content.decode()
    assert "but only $0.00 of Acme" in page and "budget is left this month" in page
    assert not RenderJob.objects.exists()
    assert not CreditEntry.objects.filter(kind=K.HOLD).exists()


@pipeline
def test_open_holds_count_against_the_budget_until_the_render_is_charged(
    alice, acme, asset_factory, fake_crun, embedded_worker, dollar_a_second
):
    acme.monthly_budget = Decimal("1.50")
    acme.save()
    fake_crun.configure(render_delay=1.5)
    request = render_request(asset_factory, acme, alice, clip=True)
    estimate = estimate_of(request)
    assert estimate == Decimal("1.0000")

    first = render.request_render(request)
    with pytest.raises(render.RenderRequestError, match=r"only \$0\.50 of Acme"):
        render.request_render(request)
    in_flight = credits.budget_status(acme)
    first = wait_for(first)
    second = render.request_render(request)

    assert (in_flight.spent, in_flight.held, in_flight.left) == (0, estimate, Decimal("0.50"))
    assert first.status == JobStatus.SUCCEEDED, first.error_message
    assert total(first) == first.cost == Decimal("0.0250")
    assert second.status == JobStatus.QUEUED
    assert credits.budget_status(acme).committed == first.cost + estimate
    assert RenderJob.objects.count() == 2
    wait_for(second)


# --- the approval threshold ---------------------------------------------------------------------


@pytest.fixture
def threshold(acme, dollar_a_second, crun_key) -> Team:
    """Acme's Editors approve any render estimated above 50 cents."""
    acme.approval_threshold = Decimal("0.50")
    acme.save()
    return acme


def awaiting(asset_factory, team: Team, user, provider: str = "crun") -> RenderJob:
    request = render_request(asset_factory, team, user, clip=True, provider=provider)
    job = render.request_render(request)
    assert job.status == JobStatus.AWAITING_APPROVAL
    return job


def approve_url(job: RenderJob, action: str = "approve") -> str:
    return f"{JOBS}{job.pk}/{action}/"


@pipeline
def test_a_render_over_the_threshold_waits_with_its_hold_and_sends_nothing(
    alice, threshold, asset_factory, fake_crun, embedded_worker, login
):
    job = awaiting(asset_factory, threshold, alice)
    render.reconcile(now=timezone.now() + datetime.timedelta(hours=2))  # not even the sweep

    assert nothing_sent(fake_crun)
    job.refresh_from_db()
    assert job.status == JobStatus.AWAITING_APPROVAL and job.approved_by is None
    assert [(e.kind, e.amount) for e in entries(job)] == [(K.HOLD, Decimal("1.0000"))]
    event = job.events.get()
    assert (event.to_status, event.actor) == (JobStatus.AWAITING_APPROVAL, "alice")
    assert "needs an Editor's approval" in event.message and "$0.50" in event.message
    assert login(alice).post(approve_url(job)).status_code == 403
    assert login(alice).post(approve_url(job, "reject")).status_code == 403
    job.refresh_from_db()
    assert job.status == JobStatus.AWAITING_APPROVAL
    assert nothing_sent(fake_crun)


@pipeline
def test_an_editor_approves_and_the_render_goes_ahead_with_the_approval_on_record(
    alice, bob, threshold, asset_factory, fake_crun, embedded_worker, login
):
    job = awaiting(asset_factory, threshold, alice)

    answer = login(bob).post(approve_url(job))
    assert answer.status_code == 302
    job = wait_for(job)

    assert job.status == JobStatus.SUCCEEDED, job.error_message
    assert job.approved_by == bob and job.approved_at is not None
    approval = job.events.get(from_status=JobStatus.AWAITING_APPROVAL)
    assert (approval.to_status, approval.actor, approval.user, approval.message) == (
        JobStatus.QUEUED,
        "bob",
        bob,
        "Approved.",
    )
    log = AuditEntry.objects.filter(job=job).order_by("pk")
    assert [(a.action, a.actor) for a in log] == [
        (AuditEntry.Action.RENDER_REQUESTED, alice),
        (AuditEntry.Action.RENDER_APPROVED, bob),
    ]
    assert kinds(job) == [K.HOLD, K.RELEASE, K.CHARGE] and total(job) == job.cost
    assert fake_crun.calls["create"] == 1


@pytest.mark.parametrize(
    "approver",
    [
        pytest.param("erin", id="another-editor"),
        pytest.param("root", id="superuser"),
    ],
)
def test_an_editor_cannot_approve_their_own_request_but_another_editor_can(
    bob, threshold, asset_factory, login, request, approver
):
    job = awaiting(asset_factory, threshold, bob)
    other = request.getfixturevalue(approver)

    own = login(bob).post(approve_url(job))
    theirs = login(other).post(approve_url(job))

    assert own.status_code == 403
    assert theirs.status_code == 302
    job.refresh_from_db()
    assert (job.status, job.approved_by) == (JobStatus.QUEUED, other)
    assert AuditEntry.objects.get(action=AuditEntry.Action.RENDER_APPROVED).actor == other


@pytest.mark.parametrize("rejecter", ["bob", "root"])
def test_rejecting_a_render_releases_its_hold(
    alice, threshold, asset_factory, login, request, rejecter
):
    job = awaiting(asset_factory, threshold, alice)
    who = request.getfixturevalue(rejecter)

    answer = login(who).post(approve_url(job, "reject"), {"reason": "Too long; cut the intro."})

    assert answer.status_code == 302
    job.refresh_from_db()
    assert job.status == JobStatus.CANCELED and job.approved_by is None
    assert [(e.kind, e.amount) for e in entries(job)] == [
        (K.HOLD, Decimal("1.0000")),
        (K.RELEASE, Decimal("-1.0000")),
    ]
    assert credits.budget_status(threshold).committed == 0
    event = job.events.get(to_status=JobStatus.CANCELED)
    assert (event.actor, event.message) == (rejecter, "Not approved: Too long; cut the intro.")
    audit = AuditEntry.objects.get(action=AuditEntry.Action.RENDER_REJECTED)
    assert (audit.actor, audit.job, audit.detail) == (who, job, "Too long; cut the intro.")


def test_the_request_page_says_when_a_render_waits_for_approval(
    alice, threshold, asset_factory, login
):
    request = render_request(asset_factory, threshold, alice)

    answer = login(alice).post(ADD, crun_form(threshold, request), follow=True)

    job = RenderJob.objects.get()
    assert job.status == JobStatus.AWAITING_APPROVAL
    shown = [str(m) for m in answer.context["messages"]]
    assert len(shown) == 1 and "approv" in shown[0] and "queued" not in shown[0]


def test_the_job_page_offers_approval_to_an_editor_but_not_to_the_requester(
    alice, bob, threshold, asset_factory, login
):
    job = awaiting(asset_factory, threshold, alice)
    page = f"{JOBS}{job.pk}/change/"

    editor = login(bob).get(page).content.decode()
    marketer = login(alice).get(page).content.decode()

    assert "Awaiting an Editor's approval" in marketer
    assert approve_url(job) not in marketer
    assert approve_url(job) in editor and approve_url(job, "reject") in editor


# --- warnings -----------------------------------------------------------------------------------

USED_UP = "The budget is used up"
OVER_90 = "Over 90 % of the budget is committed."
OVER_75 = "Over 75 % of the budget is committed."


@pytest.mark.parametrize(
    ("committed", "level", "left", "warning"),
    [
        ("0", "ok", "$100.00", None),
        ("74.99", "ok", "$25.01", None),
        ("75", "warning", "$25.00", OVER_75),
        ("89.99", "warning", "$10.01", OVER_75),
        ("90", "critical", "$10.00", OVER_90),
        ("99.99", "critical", "$0.01", OVER_90),
        ("100", "exhausted", "$0.00", USED_UP),
        ("130", "exhausted", "$0.00", USED_UP),
    ],
)
@pytest.mark.parametrize("page", [ADD, JOBS], ids=["request-page", "job-list"])
def test_the_budget_bar_warns_at_75_and_90_percent_and_when_used_up(
    alice, acme, login, page, committed, level, left, warning
):
    if committed != "0":
        spend(acme, committed)

    html = login(alice).get(page).content.decode()

    assert f'class="budget budget-{level}"' in html
    assert f"<strong>{left} left</strong>" in html
    for wording in (OVER_75, OVER_90, USED_UP):
        assert (wording in html) == (wording == warning), wording


def test_open_holds_count_towards_the_warnings(alice, acme, asset_factory, login):
    job = asset_factory.job(acme, status=JobStatus.PROCESSING)
    CreditEntry.objects.create(team=acme, job=job, kind=K.HOLD, amount=Decimal("80"))

    html = login(alice).get(JOBS).content.decode()

    assert OVER_75 in html and "$80.00 held for renders in progress" in html


def test_the_budget_bars_show_only_the_users_own_teams(alice, acme, globex, login):
    spend(globex, "95")

    html = login(alice).get(JOBS).content.decode()

    assert "<strong>Acme</strong>" in html and "Globex" not in html and OVER_90 not in html


def test_last_months_spending_does_not_count_but_open_holds_do(acme, asset_factory):
    spend(acme, "60")
    job = asset_factory.job(acme, status=JobStatus.PROCESSING)
    CreditEntry.objects.create(team=acme, job=job, kind=K.HOLD, amount=Decimal("5"))
    CreditEntry.objects.create(team=acme, kind=K.REFUND, amount=Decimal("-10"), reason="sorry")
    next_month = credits.month_start() + datetime.timedelta(days=40)

    now, later = credits.budget_status(acme), credits.budget_status(acme, next_month)

    assert (now.spent, now.held, now.left, now.percent) == (50, 5, 45, 55)
    assert (later.spent, later.held, later.left, later.level) == (0, 5, 95, "ok")
