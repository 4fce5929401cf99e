"""Render jobs in the admin: requesting one, its page, and who may cancel, retry or re-check."""

import pytest
from django.core.files.base import ContentFile
from django.utils import timezone

from avatars import roles
from avatars.models import JobEvent, JobStatus, RenderJob
from tests.files import mp4_bytes
from tests.helpers.admin_forms import request_form

ADD = "/admin/avatars/renderjob/add/"


@pytest.fixture
def library(acme, asset_factory):
    consented = {
        "consent_person": "Ada",
        "consent_scope": "any",
        "consent_expires": timezone.localdate() + timezone.timedelta(days=60),
    }
    return {
        "avatar": asset_factory.avatar(acme, "Ada", **consented),
        "unconsented": asset_factory.avatar(acme, "Nobody"),
        "script": asset_factory.script(acme, "Hello", "Hello {{name}}!"),
        "voice": asset_factory.voice(acme, "Host"),
        "clip": asset_factory.clip(acme, "Intro"),
    }


def form_errors(response) -> dict:
    assert response.status_code == 200, "a refused request re-displays the form"
    form = response.context["form"]
    return {field: " ".join(errors) for field, errors in form.errors.items()}


def test_a_marketer_requests_a_render_and_lands_on_its_page(
    alice, acme, library, login, django_capture_on_commit_callbacks, crun_key
):
    with django_capture_on_commit_callbacks() as sent:
        response = login(alice).post(ADD, request_form(acme, library, provider=crun_key))

    job = RenderJob.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/admin/avatars/renderjob/{job.pk}/change/"
    assert (job.status, job.requested_by, job.text) == (JobStatus.QUEUED, alice, "Hello Ada!")
    assert job.estimated_cost > 0
    assert len(sent) == 1, "the submit message goes out once the job is committed"
    assert job.events.get().actor == "alice"


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"avatar": "unconsented"}, "avatar", "No consent on record"),
        ({"variables": ""}, "variables", "Fill in {{name}}"),
        ({"variables": "name"}, "variables", "name=value"),
        ({"audio_clip": "clip"}, "audio_clip", "not both"),
        ({"script": "", "voice": ""}, "script", "Choose a script"),
        ({"voice": ""}, "voice", "Choose a voice"),
        ({"provider": "crun"}, "provider", "Select a valid choice"),
    ],
)
def test_a_request_that_cannot_be_rendered_says_why_and_queues_nothing(
    alice, acme, library, login, changes, field, message
):
    values = {k: library[v].pk if v in library else v for k, v in changes.items()}

    errors = form_errors(login(alice).post(ADD, request_form(acme, library, **values)))

    assert message.lower() in errors[field].lower()
    assert not RenderJob.objects.exists()


def test_a_foreign_team_cannot_render_another_teams_avatar(charlie, globex, acme, library, login):
    errors = form_errors(login(charlie).post(ADD, request_form(globex, library)))

    assert "Select a valid choice" in errors["avatar"]
    assert not RenderJob.objects.exists()


def test_the_job_page_plays_the_video_and_shows_the_timeline(alice, acme, asset_factory, login):
    job = asset_factory.job(acme, duration_seconds=1.0, width=128, height=72)
    job.video.save("video.mp4", ContentFile(mp4_bytes()), save=True)
    JobEvent.objects.create(
        job=job,
        kind="status",
        from_status="storing",
        to_status="succeeded",
        actor="storage",
        message="Stored a 1.0 s video.",
    )

    page = login(alice).get(f"/admin/avatars/renderjob/{job.pk}/change/").content.decode()

    assert '<video class="player" controls' in page and "/m/" in page
    assert "Stored a 1.0 s video." in page and "Download the video" in page


def test_only_editors_cancel_and_the_timeline_says_who(alice, bob, acme, asset_factory, login):
    job = asset_factory.job(acme, status=JobStatus.PROCESSING)
    url = f"/admin/avatars/renderjob/{job.pk}/cancel/"

    refused = login(alice).post(url)
    canceled = login(bob).post(url)

    assert refused.status_code == 403
    assert canceled.status_code == 302
    job.refresh_from_db()
    assert job.status == JobStatus.CANCELED
    event = job.events.get(to_status="canceled")
    assert (event.actor, event.user) == ("bob", bob)


def test_an_editor_renders_a_failed_job_again_as_a_new_version(
    bob, acme, asset_factory, login, django_capture_on_commit_callbacks
):
    avatar = asset_factory.avatar(
        acme,
        "Ok",
        consent_person="Ok",
        consent_scope="any",
        consent_expires=timezone.localdate() + timezone.timedelta(days=9),
    )
    failed = asset_factory.job(
        acme, status=JobStatus.FAILED, avatar=avatar, variables={"name": "A"}
    )

    with django_capture_on_commit_callbacks():
        response = login(bob).post(f"/admin/avatars/renderjob/{failed.pk}/retry/")

    again = RenderJob.objects.exclude(pk=failed.pk).get()
    assert response["Location"] == f"/admin/avatars/renderjob/{again.pk}/change/"
    assert (again.parent, again.status, again.requested_by) == (failed, JobStatus.QUEUED, bob)


def test_an_auditor_sees_jobs_of_every_team_and_cannot_act(
    audrey, acme, globex, asset_factory, login
):
    ours, theirs = asset_factory.job(acme, status="processing"), asset_factory.job(globex)
    client = login(audrey)

    listed = client.get("/admin/avatars/renderjob/")
    page = client.get(f"/admin/avatars/renderjob/{ours.pk}/change/").content.decode()
    cancel = client.post(f"/admin/avatars/renderjob/{ours.pk}/cancel/")
    add = client.get(ADD)

    assert set(listed.context["cl"].result_list) == {ours, theirs}
    assert "Cancel render" not in page
    assert (cancel.status_code, add.status_code) == (403, 403)


def test_a_foreign_editor_cannot_see_or_cancel_a_job(
    user_factory, globex, acme, asset_factory, login
):
    job = asset_factory.job(acme, status="processing")
    client = login(user_factory("dana", roles.EDITOR, globex))

    assert client.get(f"/admin/avatars/renderjob/{job.pk}/change/").status_code == 302
    assert client.post(f"/admin/avatars/renderjob/{job.pk}/cancel/").status_code == 404
    job.refresh_from_db()
    assert job.status == "processing"


def test_actions_refuse_get(bob, acme, asset_factory, login):
    job = asset_factory.job(acme, status="processing")

    for action in ("cancel", "retry", "reconcile"):
        assert login(bob).get(f"/admin/avatars/renderjob/{job.pk}/{action}/").status_code == 405
