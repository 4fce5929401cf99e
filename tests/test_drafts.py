"""Draft before spending: a free sandbox preview of a request, then the same request paid for."""

from decimal import Decimal
from pathlib import Path

import dramatiq
import pytest
from django.utils import timezone

from avatars import drafts, routing, scripts
from avatars.models import Avatar, CreditEntry, JobEvent, JobStatus, RenderJob
from avatars.sandbox.video import NO_FACE_NOTE
from tests.helpers.jobs import wait_for

pytestmark = pytest.mark.django_db(transaction=True)

GRACE = Path(__file__).resolve().parent.parent / "avatars" / "demo" / "grace-hopper.jpg"
TEXT = "Hello {{name}}, this is your draft. It costs nothing at all."


def consented(avatar: Avatar) -> Avatar:
    avatar.consent_person = "A. Person"
    avatar.consent_scope = "any"
    avatar.consent_expires = timezone.localdate() + timezone.timedelta(days=90)
    avatar.save()
    return avatar


@pytest.fixture
def request_form(acme, asset_factory, grace):
    script = asset_factory.script(acme, "Draft me", TEXT)
    voice = asset_factory.voice(acme)
    return {
        "team": acme.pk,
        "avatar": grace.pk,
        "script": script.pk,
        "voice": voice.pk,
        "variables": "name=Ada",
        "resolution": "720p",
        "provider": "",
    }


@pytest.fixture
def broke(acme):
    """Acme has no money left this month and wants an Editor for anything over nothing."""
    acme.monthly_budget = Decimal("0")
    acme.approval_threshold = Decimal("0")
    acme.save()
    return acme


def draft_of(client, form) -> RenderJob:
    response = client.post("/studio/render/", {**form, "draft": "1"})
    assert response.status_code == 302, response.content.decode()[:2000]
    return RenderJob.objects.get(pk=int(response["Location"].rstrip("/").rsplit("/", 1)[1]))


def test_a_draft_renders_free_even_with_no_budget_left(
    client, alice, broke, request_form, sandbox, embedded_worker, crun_key
):
    client.force_login(alice)
    refused = client.post("/studio/render/", {**request_form, "provider": crun_key})
    assert "budget is left this month" in refused.content.decode()

    job = wait_for(draft_of(client, request_form))

    assert job.status == JobStatus.SUCCEEDED
    assert (job.is_draft, job.provider, job.estimated_cost, job.cost) == (
        True,
        "sandbox",
        Decimal("0"),
        Decimal("0"),
    )
    assert not CreditEntry.objects.filter(job=job).exists()
    assert job.video and job.captions
    assert job.text == "Hello Ada, this is your draft. It costs nothing at all."
    page = client.get(f"/studio/renders/{job.pk}/").content.decode()
    assert "Free sandbox draft" in page
    assert "Free draft — $0.00" in page
    assert 'id="send-on"' in page


def test_a_draft_is_sent_on_unchanged_and_kept_beside_the_paid_render(
    client, alice, acme, request_form, sandbox, fake_crun, embedded_worker
):
    client.force_login(alice)
    draft = wait_for(draft_of(client, request_form))
    script = draft.script_revision.script
    script.text = "A different text written after the draft."
    scripts.save_with_revision(script, alice)

    response = client.post(f"/studio/renders/{draft.pk}/send-on/", {"provider": "crun"})

    paid = RenderJob.objects.exclude(pk=draft.pk).get()
    assert response["Location"] == f"/studio/renders/{paid.pk}/"
    assert paid.draft_id == draft.pk
    assert not paid.is_draft
    assert paid.script_revision_id == draft.script_revision_id
    assert (paid.text, paid.variables, paid.voice_id, paid.avatar_id) == (
        draft.text,
        draft.variables,
        draft.voice_id,
        draft.avatar_id,
    )
    assert paid.estimated_cost > 0
    assert CreditEntry.objects.filter(job=paid, kind="hold").count() == 1
    paid = wait_for(paid)
    assert paid.status == JobStatus.SUCCEEDED
    assert CreditEntry.objects.filter(job=paid, kind="charge").count() == 1
    page = client.get(f"/studio/renders/{paid.pk}/").content.decode()
    assert "The draft it came from" in page
    assert f"Draft #{draft.pk}" in page
    assert f"Render #{paid.pk}" in client.get(f"/studio/renders/{draft.pk}/").content.decode()


def test_a_draft_is_sent_on_only_to_a_paid_provider(client, alice, acme, asset_factory, settings):
    draft = asset_factory.job(acme, is_draft=True, provider=routing.DRAFT_PROVIDER)
    client.force_login(alice)

    alone = client.get(f"/studio/renders/{draft.pk}/").content.decode()
    refused = client.post(
        f"/studio/renders/{draft.pk}/send-on/", {"provider": routing.DRAFT_PROVIDER}, follow=True
    )
    settings.CRUN_API_KEY = "a-crun-key"
    offered = client.get(f"/studio/renders/{draft.pk}/").content.decode()

    # With only the draft provider configured there is nowhere to send it on to.
    assert 'id="send-on"' not in alone
    assert "This draft is already the free render: choose a paid provider." in (
        refused.content.decode()
    )
    assert 'id="send-on"' in offered
    assert '<option value="crun"' in offered and '<option value="sandbox"' not in offered
    assert RenderJob.objects.count() == 1


def test_only_a_finished_draft_of_ones_own_team_is_sent_on(
    client, alice, charlie, audrey, acme, asset_factory
):
    running = asset_factory.job(acme, status=JobStatus.PROCESSING, is_draft=True)
    paid = asset_factory.job(acme)
    finished = asset_factory.job(acme, is_draft=True)

    client.force_login(alice)
    for job in (running, paid):
        response = client.post(f"/studio/renders/{job.pk}/send-on/", follow=True)
        assert "Only a finished draft can be sent on." in response.content.decode()
    assert client.get(f"/studio/renders/{finished.pk}/send-on/").status_code == 405
    client.force_login(charlie)
    assert client.post(f"/studio/renders/{finished.pk}/send-on/").status_code == 404
    client.force_login(audrey)
    assert client.post(f"/studio/renders/{finished.pk}/send-on/").status_code == 403
    assert RenderJob.objects.count() == 3


def test_the_timeline_says_when_the_draft_found_no_face(
    client, alice, acme, asset_factory, request_form, sandbox, embedded_worker
):
    faceless = consented(asset_factory.avatar(acme, "Abstract"))
    client.force_login(alice)

    with_face = wait_for(draft_of(client, request_form))
    without = wait_for(draft_of(client, {**request_form, "avatar": faceless.pk}))

    assert without.status == with_face.status == JobStatus.SUCCEEDED
    notes = JobEvent.objects.filter(kind=JobEvent.Kind.NOTE)
    assert notes.filter(job=without, message=NO_FACE_NOTE).exists()
    assert not notes.filter(job=with_face, message=NO_FACE_NOTE).exists()
    assert "found no face" in client.get(f"/studio/renders/{without.pk}/").content.decode()


def test_drafts_wait_for_no_review(client, alice, bob, acme, asset_factory):
    draft = asset_factory.job(acme, is_draft=True)
    real = asset_factory.job(acme)
    client.force_login(bob)

    page = client.get("/review/").content.decode()

    assert f"/studio/renders/{real.pk}/" in page or f"/review/{real.pk}/" in page
    assert f"/studio/renders/{draft.pk}/" not in page
    assert f"#{draft.pk}" not in page


def test_a_draft_goes_to_the_draft_provider_whatever_provider_the_form_names(
    client, alice, acme, request_form, settings
):
    settings.CRUN_API_KEY = "a-crun-key"
    client.force_login(alice)

    job = draft_of(client, {**request_form, "provider": "crun"})
    dramatiq.get_broker().flush_all()

    assert routing.chosen_provider(acme, "crun", draft=True) == routing.DRAFT_PROVIDER
    assert (job.provider, job.is_draft) == (routing.DRAFT_PROVIDER, True)
    assert not CreditEntry.objects.filter(job=job).exists()


def test_without_the_draft_provider_no_draft_is_offered_or_made(
    client, alice, request_form, settings
):
    settings.SANDBOX_ENABLED = False
    client.force_login(alice)

    page = client.get("/studio/render/").content.decode()
    refused = client.post("/studio/render/", {**request_form, "draft": "1"})

    assert not drafts.available()
    assert "Draft preview (free)" not in page
    assert "Sandbox (free offline draft) is not configured here." in refused.content.decode()
    assert not RenderJob.objects.exists()
