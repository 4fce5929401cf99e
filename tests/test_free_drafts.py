"""Free means free: a render by the draft provider (the sandbox, "free offline draft") costs
$0.00, holds nothing, counts against no budget, is marked as a draft wherever money is shown,
and is left out of reconciliation.

The cast of tests/conftest.py: alice (Marketing, Acme) requests renders; audrey (Auditor)
reads the credit pages; root (superuser) reads the admin.
"""

import csv
import io
from decimal import Decimal

import pytest
from django.db import transaction

from avatars import credits, render, routing
from avatars.models import AuditEntry, CreditEntry, JobStatus, RenderJob, Team
from avatars.providers import base
from tests.helpers.jobs import render_request, request_speech, wait_for
from tests.helpers.ledger import kinds

D = Decimal
K = CreditEntry.Kind
DRAFT = routing.DRAFT_PROVIDER
FREE = "Free draft — $0.00"
pipeline = pytest.mark.django_db(transaction=True)


@pytest.fixture
def broke(acme: Team) -> Team:
    """Acme has no money left this month and wants an Editor for anything over nothing."""
    acme.monthly_budget = D("0")
    acme.approval_threshold = D("0")
    acme.save()
    return acme


def csv_of(response) -> list[list[str]]:
    return list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))


# --- nothing held, nothing charged, no budget -------------------------------------------------


@pipeline
def test_a_render_through_the_sandbox_leaves_spent_and_held_at_zero_with_no_budget_left(
    alice, broke, asset_factory, sandbox, embedded_worker
):
    # Not a draft preview: a plain render whose provider is the sandbox, as `make run` makes.
    job = request_speech(asset_factory, broke, provider=DRAFT, user=alice)
    in_flight = credits.budget_status(broke)
    job = wait_for(job)

    assert job.status == JobStatus.SUCCEEDED, job.error_message
    assert not job.is_draft
    assert (job.estimated_cost, job.cost) == (D("0"), D("0"))
    assert (in_flight.spent, in_flight.held) == (D("0"), D("0"))
    after = credits.budget_status(broke)
    assert (after.spent, after.held, after.budget) == (D("0"), D("0"), D("0"))
    assert not CreditEntry.objects.exists()
    # Not held for an Editor either: at $0.00 it is over no threshold.
    assert not job.events.filter(to_status=JobStatus.AWAITING_APPROVAL).exists()
    requested = job.events.order_by("pk").first()
    assert requested.message == (
        "Render requested as a free draft: Sandbox (free offline draft) renders it for $0.00, "
        "holds nothing and counts against no budget."
    )
    audit = AuditEntry.objects.get(action=AuditEntry.Action.RENDER_REQUESTED)
    assert (audit.job, audit.amount) == (job, D("0"))


def test_the_draft_provider_is_priced_at_nothing_whatever_it_reports(acme, asset_factory):
    job = asset_factory.job(acme, provider=DRAFT, duration_seconds=12.0)

    # The sandbox speaks Crun's contract, credits and all: what it reports is not a price.
    assert credits.reported_cost(DRAFT, D("0.3400")) == D("0")
    assert credits.cost(DRAFT, "1080p", 12.0, D("0.3400")) == D("0")
    assert credits.price(DRAFT, "1080p", 12.0) == credits.price_per_second(DRAFT, "720p") == 0
    assert credits.charge_for(job) == D("0")
    assert credits.reported_cost("crun", D("0.3400")) == D("0.3400")
    assert credits.price("crun", "720p", 12.0) > 0


def test_the_studio_sends_a_sandbox_render_even_with_no_budget_left(
    client, alice, broke, asset_factory, grace, crun_key
):
    script = asset_factory.script(broke, "Hello", "Hello there, this is free.")
    form = {
        "team": broke.pk,
        "avatar": grace.pk,
        "script": script.pk,
        "voice": asset_factory.voice(broke).pk,
        "resolution": "720p",
    }
    client.force_login(alice)

    paid = client.post("/studio/render/", {**form, "provider": crun_key})
    free = client.post("/studio/render/", {**form, "provider": ""}, follow=True)

    assert "budget is left this month" in paid.content.decode()
    job = RenderJob.objects.get()
    assert (job.provider, job.status) == (DRAFT, JobStatus.QUEUED)
    assert f"Render #{job.pk} is a free draft: Sandbox (free offline draft)" in (
        free.content.decode()
    )
    assert not CreditEntry.objects.exists()


def test_a_paid_render_that_falls_back_to_the_sandbox_is_released_and_charged_nothing(
    alice, acme, asset_factory, crun_key
):
    job = render.request_render(render_request(asset_factory, acme, provider=crun_key))
    # Crun was down; the team's next provider, the sandbox, rendered it (and reported credits).
    RenderJob.objects.filter(pk=job.pk).update(provider=DRAFT, cost=D("0.3400"))
    render.transition(job.pk, JobStatus.SUCCEEDED, allowed_from=[JobStatus.QUEUED], actor="test")
    with transaction.atomic():
        credits.settle(job.pk, JobStatus.SUCCEEDED)  # again: changes nothing

    assert kinds(job) == [K.HOLD, K.RELEASE]
    hold, release = CreditEntry.objects.filter(job=job).order_by("pk")
    assert (hold.provider, release.provider, release.amount) == ("crun", "crun", -hold.amount)
    assert credits.budget_status(acme).committed == 0


def test_a_draft_never_falls_back_to_a_paid_provider(acme, asset_factory, crun_key):
    acme.preferred_provider, acme.fallback_providers = DRAFT, [crun_key]
    acme.save()
    job = asset_factory.job(acme, status=JobStatus.SUBMITTING, provider=DRAFT)

    assert routing.next_provider(job, base.Unavailable("down")) is None
    # A paid render still moves along the list, to the free sandbox too.
    job.provider = "lumenfall"
    assert routing.next_provider(job, base.Unavailable("down")) == DRAFT


# --- marked as drafts where money is shown ----------------------------------------------------


def test_the_job_page_the_renders_list_and_the_admin_say_free_draft(
    alice, root, acme, asset_factory, login
):
    draft = asset_factory.job(acme, provider=DRAFT, requested_by=alice, cost=D("0.3400"))
    paid = asset_factory.job(acme, provider="crun", requested_by=alice, cost=D("0.1050"))
    studio = login(alice)

    job_page = studio.get(f"/studio/renders/{draft.pk}/").content.decode()
    paid_page = studio.get(f"/studio/renders/{paid.pk}/").content.decode()
    listed = studio.get("/studio/renders/").content.decode()
    admin_job = login(root).get(f"/admin/avatars/renderjob/{draft.pk}/change/").content.decode()
    admin_list = login(root).get("/admin/avatars/renderjob/").content.decode()

    assert f"<dt>Cost</dt><dd>{FREE}</dd>" in job_page and "$0.3400" not in job_page
    assert "<dt>Cost</dt><dd>$0.1050</dd>" in paid_page
    assert '<span class="quiet">Free draft</span>' in listed and "$0.11" in listed
    assert FREE in admin_job and "0.3400" not in admin_job
    assert f'<td class="field-cost_shown">{FREE}</td>' in admin_list
    assert '<td class="field-cost_shown">$0.1050</td>' in admin_list


def test_the_overview_and_its_csv_count_the_months_free_drafts(audrey, acme, asset_factory, login):
    asset_factory.job(acme, provider=DRAFT, is_draft=True, estimated_cost=D(0), cost=D(0))
    asset_factory.job(acme, provider=DRAFT, estimated_cost=D(0), cost=D(0))
    client = login(audrey)

    page = client.get("/credits/")
    summary = csv_of(client.get("/credits/?format=csv"))

    assert page.context["drafts"] == 2
    (figure,) = [f for f in page.context["figures"] if f["name"] == "Free drafts"]
    assert figure["value"] == "$0.00"
    assert figure["note"] == "2 drafts requested; nothing held or charged, so not in the ledger"
    assert figure["url"] == f"/admin/avatars/renderjob/?provider={DRAFT}"
    html = page.content.decode()
    assert 'class="figure draft"' in html and "reconciliation leaves them out" in html
    kind = summary[0].index("kind")
    assert [row[1:] for row in summary if row[kind] == "free_drafts"] == [
        ["TOTAL", "", "", "", "free_drafts", "2", "0.0000"]
    ]
    assert not [row for row in summary[1:] if row[1] != "TOTAL"]  # no ledger row for them
    (of_acme,) = [
        f
        for f in client.get(f"/credits/?team={acme.slug}").context["figures"]
        if "draft" in f["name"]
    ]
    assert of_acme["url"].endswith(f"&team__id__exact={acme.pk}")


def test_the_ledger_says_drafts_have_no_rows_and_marks_the_draft_providers_old_rows(
    audrey, acme, asset_factory, login
):
    # Booked before drafts were free; the ledger is append-only, so it stays, marked.
    old = asset_factory.job(acme, provider=DRAFT)
    CreditEntry.objects.create(team=acme, job=old, provider=DRAFT, kind=K.HOLD, amount=D("0.3"))
    paid = asset_factory.job(acme, provider="crun")
    CreditEntry.objects.create(team=acme, job=paid, provider="crun", kind=K.HOLD, amount=D("1"))

    html = login(audrey).get("/credits/ledger/").content.decode()

    assert "Free drafts move no money, so they have no rows here" in html
    assert html.count('<span class="draft-mark"') == 1
    assert 'data-label="Provider">sandbox <span class="draft-mark"' in html
    assert 'data-label="Provider">crun</td>' in html


# --- left out of reconciliation ---------------------------------------------------------------


def test_reconciliation_lists_no_draft(audrey, acme, asset_factory, login):
    # What the sandbox used to cause: every render 16-27 % off its estimate.
    for estimate, cost in [("0.2900", "0.3400"), ("0.3400", "0.2700")]:
        asset_factory.job(acme, provider=DRAFT, estimated_cost=D(estimate), cost=D(cost))
    paid = asset_factory.job(acme, provider="crun", estimated_cost=D("0.20"), cost=D("0.25"))
    client = login(audrey)

    listed = client.get("/credits/reconciliation/").context["page"].rows
    rows = csv_of(client.get("/credits/reconciliation/?format=csv"))

    assert [job.pk for job in listed] == [paid.pk]
    assert [row[0] for row in rows[1:]] == [str(paid.pk)]
    provider = rows[0].index("provider")
    assert {row[provider] for row in rows[1:]} == {"crun"}
