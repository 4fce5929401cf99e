"""The studio pages marketers work in: gallery, upload, scripts, new render, renders, the job
page and notifications. alice (Marketing) and bob (Editor) work in Acme; charlie in Globex.
Who may open what is in test_studio_permissions.py; this module checks what the pages do."""

import html
import json
import re
import uuid
from decimal import Decimal
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from avatars import render as rendering
from avatars.models import (
    Avatar,
    CreditEntry,
    JobComment,
    JobEvent,
    JobStatus,
    Notification,
    RenderJob,
    ShareLink,
    Tag,
)
from avatars.scripts import save_with_revision
from tests.conftest import stored_files
from tests.files import image_bytes, portrait_bytes
from tests.helpers.studio import add_jobs, consented, render_form

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def fast_passwords(settings) -> None:
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def text(response) -> str:
    """The page with its HTML entities decoded, to look for what a person reads."""
    return html.unescape(response.content.decode())


# --- gallery and upload --------------------------------------------------------------------


def test_the_gallery_shows_thumbnails_consent_and_tags(alice, acme, asset_factory, login):
    grace = consented(asset_factory, acme, "Grace")
    grace.tags.add(asset_factory.tag(acme, "sales"))
    asset_factory.avatar(acme, "Nobody")

    page = text(login(alice).get("/studio/"))

    assert page.count('class="portrait"') == 2
    assert re.search(r'<img class="portrait" src="/m/[^"]+"', page)
    assert ">Valid<" in page and ">No consent<" in page
    assert '<span class="tag">sales</span>' in page
    # Only an avatar with consent offers a render.
    assert f"?avatar={grace.pk}" in page and "Render with Nobody" not in page


def test_the_gallery_searches_names_and_people(alice, acme, asset_factory, login):
    consented(asset_factory, acme, "Grace", consent_person="Grace Hopper")
    consented(asset_factory, acme, "Ada", consent_person="Ada Lovelace")
    client = login(alice)

    by_name = client.get("/studio/", {"q": "grac"}).context["avatars"]
    by_person = client.get("/studio/", {"q": "lovelace"}).context["avatars"]
    nothing = client.get("/studio/", {"q": "turing"})

    assert [a.name for a in by_name] == ["Grace"]
    assert [a.name for a in by_person] == ["Ada"]
    assert "No avatars match" in text(nothing)


def test_the_gallery_filters_by_tag(alice, acme, globex, asset_factory, login):
    sales, emea = asset_factory.tag(acme, "sales"), asset_factory.tag(acme, "EMEA")
    grace, ada = consented(asset_factory, acme, "Grace"), consented(asset_factory, acme, "Ada")
    grace.tags.add(sales, emea)
    ada.tags.add(emea)
    asset_factory.tag(globex, "globex-only")
    client = login(alice)

    filtered = client.get("/studio/", {"tag": "sales"})
    both = client.get("/studio/", {"tag": "EMEA"})

    assert [a.name for a in filtered.context["avatars"]] == ["Grace"]
    assert [a.name for a in both.context["avatars"]] == ["Ada", "Grace"]
    assert filtered.context["tags"] == ["EMEA", "sales"]
    assert "<option selected>sales</option>" in text(filtered)


def test_archived_avatars_stay_out_of_the_gallery(alice, acme, asset_factory, login):
    consented(asset_factory, acme, "Old", archived=True)

    assert list(login(alice).get("/studio/").context["avatars"]) == []


def test_an_upload_with_consent_lands_in_the_library(alice, acme, login, media_root: Path):
    response = login(alice).post(
        "/studio/avatars/new/",
        {
            "team": acme.pk,
            "name": "Linus",
            "consent_person": "Linus T.",
            "consent_scope": "internal",
            "consent_expires": (timezone.localdate() + timezone.timedelta(days=90)).isoformat(),
            "tag_names": "sales, EMEA",
            "portrait": SimpleUploadedFile("me.jpg", portrait_bytes(seed=1), "image/jpeg"),
        },
        follow=True,
    )

    avatar = Avatar.objects.get()
    assert response.redirect_chain == [("/studio/", 302)]
    assert "“Linus” is in the library." in text(response)
    assert (avatar.team, avatar.created_by, avatar.has_valid_consent) == (acme, alice, True)
    assert sorted(t.name for t in avatar.tags.all()) == ["EMEA", "sales"]
    assert len(stored_files(media_root)) == 3  # original, normalised, thumbnail


def test_an_upload_page_preselects_the_only_team(alice, acme, login):
    response = login(alice).get("/studio/avatars/new/")

    assert response.context["form"].fields["team"].initial == acme
    assert 'name="team"' in text(response) and 'name="archived"' not in text(response)


@pytest.mark.parametrize(
    ("filename", "data", "message"),
    [
        ("invoice.jpg", b"%PDF-1.7\n1 0 obj << >> endobj\n" * 40, "looks like a PDF document"),
        ("tiny.jpg", image_bytes((40, 40)), "a portrait needs at least 256×256"),
    ],
    ids=["pdf", "tiny"],
)
def test_an_upload_refuses_a_bad_file_with_the_reason_and_stores_nothing(
    alice, acme, login, media_root: Path, filename, data, message
):
    response = login(alice).post(
        "/studio/avatars/new/",
        {"team": acme.pk, "name": "Bad", "portrait": SimpleUploadedFile(filename, data)},
    )

    assert response.status_code == 200
    assert message in text(response)
    assert 'class="errorlist"' in text(response)
    assert not Avatar.objects.exists()
    assert stored_files(media_root) == []


def test_an_upload_into_a_foreign_team_is_refused(charlie, acme, login):
    response = login(charlie).post(
        "/studio/avatars/new/",
        {"team": acme.pk, "name": "X", "portrait": SimpleUploadedFile("p.jpg", portrait_bytes())},
    )

    assert "Select a valid choice" in text(response)
    assert not Avatar.objects.exists()


# --- scripts -------------------------------------------------------------------------------


def test_the_scripts_page_lists_variables_and_revision_counts(alice, acme, asset_factory, login):
    script = asset_factory.script(acme, "Welcome", "Hi {{first_name}} from {{city}}!")
    script.text = "Hello {{first_name}} from {{city}}!"
    save_with_revision(script, alice)

    response = login(alice).get("/studio/scripts/")

    row = text(response).split("Welcome")[1].split("</tr>")[0]
    assert "{{first_name}}" in row and "{{city}}" in row
    assert '<td class="wide">2</td>' in row


def test_a_script_shows_its_revisions_newest_first_with_changes(alice, acme, asset_factory, login):
    script = asset_factory.script(acme, "Welcome", "Hi there.")
    script.text = "Hello there."
    save_with_revision(script, alice)

    page = text(login(alice).get(f"/studio/scripts/{script.pk}/"))

    assert page.index("Revision 2") < page.index("Revision 1")
    assert "alice" in page
    assert "+ Hello there." in page and "- Hi there." in page
    assert f'src="/studio/scripts/{script.pk}/preview.wav"' in page


def test_the_speech_preview_is_a_wav_of_the_script(alice, acme, asset_factory, login, sandbox):
    script = asset_factory.script(acme, "Welcome", "Hello {{name}}.")
    voice = asset_factory.voice(acme)
    client = login(alice)

    spoken = client.get(f"/studio/scripts/{script.pk}/preview.wav", {"voice": voice.pk})
    odd_voice = client.get(f"/studio/scripts/{script.pk}/preview.wav", {"voice": "x"})

    assert spoken["Content-Type"] == "audio/wav"
    assert b"".join(spoken.streaming_content)[:4] == b"RIFF"
    assert odd_voice.status_code == 200


# --- new render ----------------------------------------------------------------------------


@pytest.fixture
def library(acme, asset_factory):
    class Library:
        avatar = consented(asset_factory, acme, "Grace")
        script = asset_factory.script(acme, "Welcome", "Welcome aboard, {{name}}!")
        voice = asset_factory.voice(acme, "Host")

    return Library


def test_the_new_render_page_shows_the_budget_left_and_the_estimate(
    alice, acme, library, login, crun_key
):
    CreditEntry.objects.create(team=acme, kind="charge", amount=Decimal("30"), provider="crun")

    response = login(alice).get("/studio/render/", {"avatar": library.avatar.pk})
    page = text(response)

    assert '<div class="budget budget-ok">' in page
    assert 'role="progressbar" aria-valuenow="30"' in page
    assert "$30.00 of $100.00 committed this month" in page
    assert "$70.00 left" in page
    assert 'id="estimate"' in page and "avatars/estimate.js" in page
    pricing = json.loads(re.search(r'id="pricing" type="application/json">(.*?)</script>', page)[1])
    assert pricing["prices"]["crun"]["720p"] == "0.025"
    # The sandbox renders free drafts, and "the team's preferred provider" is named.
    assert pricing["prices"]["sandbox"]["720p"] == "0"
    assert pricing["free"] == {"sandbox": "Sandbox (free offline draft)"}
    assert pricing["preferred"] == {str(acme.pk): "sandbox"}
    assert pricing["scripts"][str(library.script.pk)] > 0
    assert response.context["form"]["avatar"].value() == str(library.avatar.pk)
    assert 'id="hear"' in page


def test_a_render_request_goes_to_the_job_page(alice, library, login, crun_key):
    response = login(alice).post(
        "/studio/render/", render_form(library, provider="crun"), follow=True
    )

    job = RenderJob.objects.get()
    assert response.redirect_chain == [(f"/studio/renders/{job.pk}/", 302)]
    assert f"Render #{job.pk} is on its way." in text(response)
    assert (job.requested_by, job.text, job.status) == (alice, "Welcome aboard, Ada!", "queued")


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"script": "", "voice": ""}, "script", "Choose a script (with a voice) or an audio clip."),
        ({"variables": ""}, "variables", "Fill in {{name}}."),
        ({"voice": ""}, "voice", "Choose a voice to speak the script."),
        ({"variables": "name Ada"}, "variables", "“name Ada” needs the form name=value."),
        ({"seed": "-1"}, "seed", "greater than or equal to 0"),
    ],
    ids=["no-speech", "missing-variable", "no-voice", "bad-variables", "bad-seed"],
)
def test_a_render_request_shows_what_is_wrong_on_the_page(
    alice, library, login, changes, field, message
):
    response = login(alice).post("/studio/render/", render_form(library, **changes))

    assert response.status_code == 200
    assert message in " ".join(response.context["form"].errors[field])
    assert message in text(response)
    assert not RenderJob.objects.exists()


def test_a_render_of_an_avatar_without_consent_is_refused(
    alice, acme, asset_factory, library, login
):
    nobody = asset_factory.avatar(acme, "Nobody")

    response = login(alice).post("/studio/render/", render_form(library, avatar=nobody.pk))

    assert "“Nobody” cannot be rendered" in text(response)
    assert "Record the person's consent first." in text(response)
    assert not RenderJob.objects.exists()


def test_a_render_over_the_budget_is_refused_with_the_amount_left(
    alice, acme, library, login, crun_key
):
    acme.monthly_budget = Decimal("0.01")
    acme.save()

    response = login(alice).post("/studio/render/", render_form(library, provider="crun"))

    assert response.status_code == 200
    assert "of Acme's $0.01 budget is left this month" in text(response)
    assert not RenderJob.objects.exists()


# --- renders and live status ---------------------------------------------------------------


def test_my_renders_and_my_teams_renders(alice, bob, library, login):
    mine = add_jobs(library.avatar, library.script, library.voice, 2, requested_by=alice)
    bobs = add_jobs(library.avatar, library.script, library.voice, 1, requested_by=bob)
    client = login(alice)

    own = client.get("/studio/renders/")
    team = client.get("/studio/renders/", {"who": "team"})

    assert [job for job, _ in own.context["jobs"]] == mine[::-1]
    assert [job for job, _ in team.context["jobs"]] == [*bobs, *mine[::-1]]
    assert "Welcome" in text(team)


def test_the_renders_list_pages_through_older_renders(alice, library, login, monkeypatch):
    monkeypatch.setattr("avatars.views.studio.PAGE", 2)
    jobs = add_jobs(library.avatar, library.script, library.voice, 5, requested_by=alice)
    client = login(alice)

    first = client.get("/studio/renders/")
    second = client.get("/studio/renders/", {"c": first.context["older"]})
    third = client.get("/studio/renders/", {"c": second.context["older"]})
    back = client.get("/studio/renders/", {"c": third.context["newer"]})

    assert [j for j, _ in first.context["jobs"]] == jobs[:2:-1]
    assert [j for j, _ in second.context["jobs"]] == jobs[2:0:-1]
    assert [j for j, _ in third.context["jobs"]] == [jobs[0]]
    assert [j for j, _ in back.context["jobs"]] == jobs[2:0:-1]
    assert f"c={first.context['older']}" in text(first) and ">Newer<" not in text(first)
    assert ">Newer<" in text(third) and ">Older<" not in text(third)


def test_a_running_render_shows_progress_and_polls_for_its_status(alice, library, login):
    [job] = add_jobs(library.avatar, library.script, library.voice, 1, status="processing")

    page = text(login(alice).get("/studio/renders/", {"who": "team"}))

    assert 'data-status-url="/studio/renders/status.json"' in page
    assert f'data-job="{job.pk}" data-final="0"' in page
    # With the provider: past where the provider's time starts, short of done, however long
    # this busy machine took to ask.
    bar = re.search(
        rf'role="progressbar" aria-label="Render #{job.pk} progress" '
        r'aria-valuenow="(\d+)"',
        page,
    )
    assert bar and 10 <= int(bar.group(1)) <= 99
    assert "studio/live.js" in page


def test_the_status_feed_reports_each_jobs_state_and_progress(alice, library, login):
    running, done, failed = (
        add_jobs(library.avatar, library.script, library.voice, 1, status=status)[0]
        for status in ("submitted", "succeeded", "failed")
    )
    RenderJob.objects.filter(pk=failed.pk).update(error_message="The provider said no.")
    # No provider time gone by yet, however slow this machine is to ask: the bar stands where
    # the provider's part begins.
    RenderJob.objects.filter(pk=running.pk).update(
        submitted_at=timezone.now() + timezone.timedelta(minutes=5)
    )

    ids = f"{running.pk},{done.pk},{failed.pk},999999,abc"
    states = login(alice).get("/studio/renders/status.json", {"ids": ids}).json()

    assert states == {
        str(running.pk): {
            "status": "submitted",
            "label": "Submitted",
            "progress": 10,
            "final": False,
            "error": "",
        },
        str(done.pk): {
            "status": "succeeded",
            "label": "Succeeded",
            "progress": 100,
            "final": True,
            "error": "",
        },
        str(failed.pk): {
            "status": "failed",
            "label": "Failed",
            "progress": 100,
            "final": True,
            "error": "The provider said no.",
        },
    }


def test_the_renders_feed_and_the_job_pages_feed_agree_on_progress(alice, library, login):
    started = timezone.now() - timezone.timedelta(seconds=20)
    [job] = add_jobs(
        library.avatar, library.script, library.voice, 1, status="processing", submitted_at=started
    )
    client = login(alice)

    listed = client.get(f"/studio/renders/status.json?ids={job.pk}").json()[str(job.pk)]
    own = client.get(f"/studio/renders/{job.pk}/status.json").json()

    assert 10 < listed["progress"] < 100
    assert listed["progress"] == own["percent"]


# --- the job page --------------------------------------------------------------------------


def test_the_job_page_has_the_player_inputs_cost_timeline_and_download(alice, acme, library, login):
    [job] = add_jobs(
        library.avatar,
        library.script,
        library.voice,
        1,
        requested_by=alice,
        video="renders/1/abc/video.mp4",
        poster="renders/1/abc/poster.jpg",
        duration_seconds=4.2,
        width=1280,
        height=720,
        estimated_cost=Decimal("0.1100"),
        cost=Decimal("0.1050"),
        seed=7,
        provider="crun",
    )
    JobEvent.objects.create(job=job, kind="status", actor="storage", to_status="succeeded")

    page = text(login(alice).get(f"/studio/renders/{job.pk}/"))

    assert re.search(r'<video class="player" [^>]*poster="/m/.+" src="/m/', page)
    assert f'download="render-{job.pk}.mp4"' in page
    assert "Welcome (revision 1)" in page and "Welcome aboard, {{name}}!" in page
    assert "Host · Kore (Female)" in page
    assert "$0.1050" in page and "$0.1100" in page and "4.2 s · 1280×720" in page
    assert "storage</strong> · → succeeded" in page
    assert "This page updates by itself" not in page


def test_a_running_job_page_updates_itself(alice, library, login):
    [job] = add_jobs(library.avatar, library.script, library.voice, 1, status="queued")

    page = text(login(alice).get(f"/studio/renders/{job.pk}/"))

    assert f'data-status-url="/studio/renders/{job.pk}/status.json" data-final="0"' in page
    assert "studio/job-status.js" in page
    assert "This page updates by itself." in page


def test_the_job_page_offers_each_role_its_actions(alice, bob, library, login):
    running = add_jobs(library.avatar, library.script, library.voice, 1, status="queued")[0]
    done = add_jobs(library.avatar, library.script, library.voice, 1, requested_by=alice)[0]

    alice_running = text(login(alice).get(f"/studio/renders/{running.pk}/"))
    bob_running = text(login(bob).get(f"/studio/renders/{running.pk}/"))
    alice_done = text(login(alice).get(f"/studio/renders/{done.pk}/"))
    bob_done = text(login(bob).get(f"/studio/renders/{done.pk}/"))

    assert "Cancel render" not in alice_running and "Cancel render" in bob_running
    assert "Request changes" not in alice_done and "Request changes" in bob_done
    assert "Re-render with changes" not in alice_done and "Re-render with changes" in bob_done
    assert "Add a comment" in alice_done and "Add a comment" in bob_done


def test_a_render_over_the_threshold_waits_for_an_editor_on_its_page(
    alice, bob, library, acme, login, crun_key
):
    acme.approval_threshold = Decimal("0.01")
    acme.save()
    login(alice).post("/studio/render/", render_form(library, provider="crun"))
    job = RenderJob.objects.get()

    alices = text(login(alice).get(f"/studio/renders/{job.pk}/"))
    bobs = login(bob)
    approved = bobs.post(f"/studio/renders/{job.pk}/approve/", follow=True)

    assert job.status == "awaiting_approval"
    assert "over Acme's approval threshold of $0.01" in alices
    assert "Approve the spend" not in alices
    assert "is approved and on its way" in text(approved)
    assert RenderJob.objects.get().status == "queued"
    assert Notification.objects.filter(user=bob, kind="approval").count() == 1


def test_cancel_stops_a_running_render(bob, library, login):
    [job] = add_jobs(library.avatar, library.script, library.voice, 1, status="queued")

    response = login(bob).post(f"/studio/renders/{job.pk}/cancel/", follow=True)

    assert f"Render #{job.pk} is canceled." in text(response)
    assert RenderJob.objects.get().status == "canceled"


# --- notifications -------------------------------------------------------------------------


def test_a_finished_or_failed_render_notifies_whoever_asked(alice, library, login):
    done, failed = add_jobs(
        library.avatar, library.script, library.voice, 2, status="storing", requested_by=alice
    )
    RenderJob.objects.filter(pk=failed.pk).update(error_message="Out of faces.")

    rendering.transition(done.pk, JobStatus.SUCCEEDED, allowed_from=["storing"], actor="t")
    rendering.transition(failed.pk, JobStatus.FAILED, allowed_from=["storing"], actor="t")

    page = text(login(alice).get("/studio/notifications/"))
    assert f"Render #{done.pk} of Grace is ready to watch." in page
    assert f"Render #{failed.pk} of Grace failed: Out of faces." in page
    assert page.index(f"Render #{failed.pk}") < page.index(f"Render #{done.pk}")
    assert f'href="/studio/renders/{done.pk}/"' in page


def test_the_badge_counts_unread_notifications_until_all_are_marked_read(
    alice, bob, library, login
):
    [job] = add_jobs(library.avatar, library.script, library.voice, 1)
    for n in range(3):
        Notification.objects.create(user=alice, job=job, kind="reviewed", message=f"Note {n}")
    Notification.objects.create(user=bob, job=job, kind="reviewed", message="Bob's")
    client = login(alice)

    before = text(client.get("/studio/"))
    marked = client.post("/studio/notifications/", follow=True)
    after = text(client.get("/studio/"))

    assert '<span class="count" id="unread">3</span>' in before
    assert marked.redirect_chain == [("/studio/notifications/", 302)]
    assert 'id="unread"' not in after
    assert "Note 0" in text(marked) and "Bob's" not in text(marked)
    assert Notification.objects.filter(user=bob, read_at=None).count() == 1


def test_no_notifications_says_what_will_come(alice, login):
    page = text(login(alice).get("/studio/notifications/"))

    assert "You will hear here when a render finishes, fails or is reviewed." in page


# --- query bounds --------------------------------------------------------------------------


def fill(library, alice, bob, count: int) -> None:
    """`count` renders of each kind a list page shows, with events, comments and links."""
    jobs = add_jobs(
        library.avatar,
        library.script,
        library.voice,
        count,
        requested_by=alice,
        poster="renders/1/x/poster.jpg",
        video="renders/1/x/video.mp4",
    )
    running = add_jobs(
        library.avatar, library.script, library.voice, count, status="processing", requested_by=bob
    )
    first = RenderJob.objects.order_by("pk").first()
    for job in [*jobs, *running]:
        Notification.objects.create(user=alice, job=job, kind="succeeded", message="Done.")
        Notification.objects.create(user=bob, job=job, kind="reviewed", message="Seen.")
        JobEvent.objects.create(job=first, kind="action", actor="alice", message="Looked.")
        JobComment.objects.create(job=first, author=bob, body="Nice.")
        ShareLink.objects.create(job=first, created_by=bob, expires_at=timezone.now())
    for job in jobs:
        RenderJob.objects.filter(pk=job.pk).update(root=first, parent=first)
    team = library.avatar.team
    for _ in range(count):
        avatar = Avatar.objects.get(pk=library.avatar.pk)
        avatar.pk, avatar.key, avatar.sha256 = None, uuid.uuid4(), uuid.uuid4().hex * 2
        avatar.name = f"Copy {avatar.sha256[:8]}"
        avatar.save()
        avatar.tags.add(Tag.objects.create(team=team, name=avatar.name))


QUERY_PAGES = {
    "gallery": ("alice", "/studio/"),
    "scripts": ("alice", "/studio/scripts/"),
    "my renders": ("alice", "/studio/renders/"),
    "team renders": ("alice", "/studio/renders/?who=team"),
    "auditor renders": ("audrey", "/studio/renders/?who=team"),
    "review desk": ("bob", "/review/"),
    "notifications": ("alice", "/studio/notifications/"),
    "job page": ("bob", "first"),
    "versions": ("bob", "versions"),
}
# Session, user, groups/permissions, the badge's count and the page's own few queries.
BOUND = 14


@pytest.mark.parametrize("page", QUERY_PAGES)
def test_a_page_renders_in_a_bounded_number_of_queries(
    page, request, alice, bob, audrey, library, login
):
    who, path = QUERY_PAGES[page]
    client = login(request.getfixturevalue(who))

    def count() -> int:
        first = RenderJob.objects.order_by("pk").first()
        url = {"first": f"/studio/renders/{first.pk}/"}.get(path, path)
        if path == "versions":
            url = f"/review/renders/{first.pk}/versions/"
        with CaptureQueriesContext(connection) as captured:
            response = client.get(url)
        assert response.status_code == 200
        return len(captured)

    fill(library, alice, bob, 3)
    few = count()
    fill(library, alice, bob, 27)
    many = count()

    print(f"{page}: {few} queries with 3 rows, {many} with 30")
    assert many == few
    assert many <= BOUND
