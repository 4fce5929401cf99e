"""The review desk: decisions with comments, re-renders as versions, the version comparison,
the stable link and share links. bob (Editor) reviews alice's (Marketing) renders in Acme;
charlie (Globex) sees none of it. Who may do what is in test_studio_permissions.py."""

import html
import re

import pytest
from django.test import Client
from django.utils import timezone

from avatars import review
from avatars.models import (
    AuditEntry,
    JobComment,
    JobEvent,
    Notification,
    RenderJob,
    ReviewStatus,
    ShareLink,
)
from tests.helpers.studio import add_jobs, consented, render_form

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def fast_passwords(settings) -> None:
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def library(acme, asset_factory):
    class Library:
        avatar = consented(asset_factory, acme, "Grace")
        script = asset_factory.script(acme, "Welcome", "Welcome aboard, {{name}}!")
        voice = asset_factory.voice(acme, "Host")
        other_voice = asset_factory.voice(acme, "Narrator")

    Library.other_voice.speaker = "Puck"
    Library.other_voice.save()
    return Library


def finished(library, n: int = 1, **fields: object) -> RenderJob:
    """A finished render with a video, as the pipeline leaves it."""
    [job] = add_jobs(
        library.avatar,
        library.script,
        fields.pop("voice", library.voice),
        1,
        video=f"renders/1/v{n}/video.mp4",
        poster=f"renders/1/v{n}/poster.jpg",
        duration_seconds=3.0,
        finished_at=timezone.now(),
        **{"variables": {"name": "Ada"}, **fields},
    )
    return job


def text(response) -> str:
    return html.unescape(response.content.decode())


def decide(client: Client, job: RenderJob, decision: str, comment: str = ""):
    url = f"/review/renders/{job.pk}/decide/"
    return client.post(url, {"decision": decision, "comment": comment}, follow=True)


# --- the queue -----------------------------------------------------------------------------


def test_the_queue_holds_finished_renders_awaiting_review_oldest_first(
    alice, bob, globex, asset_factory, library, login
):
    older = finished(library, requested_by=alice)
    newer = finished(library, requested_by=alice)
    RenderJob.objects.filter(pk=older.pk).update(finished_at=timezone.now() - timezone.timedelta(1))
    finished(library, review=ReviewStatus.APPROVED)
    add_jobs(library.avatar, library.script, library.voice, 1, status="processing")
    asset_factory.job(globex)

    response = login(bob).get("/review/")

    assert list(response.context["jobs"]) == [older, newer]
    assert f'href="/studio/renders/{older.pk}/"' in text(response) and "alice" in text(response)


def test_an_empty_queue_says_so(bob, login):
    assert "Nothing waits for review." in text(login(bob).get("/review/"))


def test_the_queue_and_the_job_page_tell_renders_of_one_script_apart(alice, bob, library, login):
    maria = finished(library, requested_by=alice, variables={"name": "Maria"})
    # Listed in the script's order, then the others by name, whatever order the database keeps.
    finished(library, requested_by=alice, variables={"zone": "B", "city": "Lyon", "name": "Jonas"})

    desk = text(login(bob).get("/review/"))
    job_page = text(login(bob).get(f"/studio/renders/{maria.pk}/"))

    assert '<div class="variables">name=Maria</div>' in desk
    assert '<div class="variables">name=Jonas · city=Lyon · zone=B</div>' in desk
    assert '<dt>Variables</dt><dd class="variables">name=Maria</dd>' in job_page


# --- decisions and comments ----------------------------------------------------------------


def test_approving_a_render_tells_the_requester(alice, bob, library, login):
    job = finished(library, requested_by=alice)

    response = decide(login(bob), job, "approved")

    job.refresh_from_db()
    assert (job.review, job.reviewed_by) == ("approved", bob)
    assert f"Render #{job.pk}: approved." in text(response)
    assert 'class="badge badge-ok" title="Approved"' in response.content.decode()
    [note] = Notification.objects.filter(user=alice)
    assert (note.kind, note.message) == ("reviewed", f"bob approved render #{job.pk} of Grace.")
    assert "Review: Approved." in text(response)
    assert list(login(bob).get("/review/").context["jobs"]) == []


@pytest.mark.parametrize(
    ("decision", "label", "verb"),
    [
        ("changes_requested", "Changes requested", "asked for changes to"),
        ("rejected", "Rejected", "rejected"),
    ],
)
def test_asking_for_changes_or_rejecting_needs_a_comment(
    alice, bob, library, login, decision, label, verb
):
    job = finished(library, requested_by=alice)
    client = login(bob)

    refused = decide(client, job, decision, "   ")
    job.refresh_from_db()
    assert job.review == "pending"
    assert "Say what should change, or why it is rejected." in text(refused)
    assert not Notification.objects.exists() and not AuditEntry.objects.exists()

    decided = decide(client, job, decision, "Smile more at the start.")
    job.refresh_from_db()
    assert job.review == decision
    assert f"Render #{job.pk}: {label.lower()}." in text(decided)
    assert "Smile more at the start." in text(decided).split("Comments")[1]
    assert Notification.objects.get(user=alice).message == f"bob {verb} render #{job.pk} of Grace."


def test_an_unknown_decision_or_an_unfinished_render_is_refused(bob, library, login):
    running = add_jobs(library.avatar, library.script, library.voice, 1, status="processing")[0]
    done = finished(library)
    client = login(bob)

    unknown = decide(client, done, "maybe", "Hmm.")
    early = decide(client, running, "approved")

    assert "Unknown review decision." in text(unknown)
    assert "Only a finished video can be reviewed." in text(early)
    assert set(RenderJob.objects.values_list("review", flat=True)) == {"pending"}


def test_an_empty_request_for_changes_is_an_error_by_the_comment_box(alice, bob, library, login):
    job = finished(library, requested_by=alice)

    response = decide(login(bob), job, "changes_requested", " ")
    page = response.content.decode()

    assert response.status_code == 200 and response.redirect_chain == []
    box = page.split('<div class="form-row field-comment">')[1].split("</div>")[0]
    assert '<ul class="errorlist" id="id_comment_error">' in box
    assert "Say what should change, or why it is rejected." in box
    assert 'aria-invalid="true"' in box and 'aria-describedby="id_comment_error"' in box
    assert 'class="messages"' not in page


def test_the_decision_form_folds_away_once_decided(alice, bob, library, login):
    job = finished(library, requested_by=alice)
    client = login(bob)

    before = text(client.get(f"/studio/renders/{job.pk}/"))
    decide(client, job, "approved")
    after = text(client.get(f"/studio/renders/{job.pk}/"))

    assert "<details>" not in before.split('id="review"')[1].split("</section>")[0]
    decided = after.split('id="review"')[1].split("</section>")[0]
    assert "Approved</span> by bob," in decided
    assert "<details><summary>Change the decision</summary>" in decided


def test_nobody_approves_the_content_of_a_render_they_requested(bob, library, login):
    job = finished(library, requested_by=bob)
    client = login(bob)

    page = text(client.get(f"/studio/renders/{job.pk}/"))
    refused = decide(client, job, "approved")
    decide(client, job, "changes_requested", "Shorter, please.")

    assert 'value="approved"' not in page and 'value="changes_requested"' in page
    assert "You asked for this video: another Editor approves it." in page
    assert refused.status_code == 403
    job.refresh_from_db()
    assert job.review == "changes_requested"
    # Asking for changes to one's own video tells nobody.
    assert not Notification.objects.exists()


def test_a_superuser_is_held_to_the_four_eyes_rule_too(root, bob, library, login):
    job = finished(library, requested_by=root)

    assert decide(login(root), job, "approved").status_code == 403
    assert decide(login(bob), job, "approved").status_code == 200
    job.refresh_from_db()
    assert (job.review, job.reviewed_by) == ("approved", bob)


def test_every_decision_is_in_the_audit_log(alice, bob, acme, library, login):
    first, second, third = (finished(library, n, requested_by=alice) for n in (1, 2, 3))
    client = login(bob)

    decide(client, first, "approved")
    decide(client, second, "rejected", "Wrong logo.")
    decide(client, third, "changes_requested", "Slower.")

    entries = AuditEntry.objects.order_by("pk")
    assert [(e.action, e.actor, e.team, e.job, e.detail) for e in entries] == [
        ("video_approved", bob, acme, first, f"Render #{first.pk} of Grace"),
        ("video_rejected", bob, acme, second, f"Render #{second.pk} of Grace: Wrong logo."),
        ("changes_requested", bob, acme, third, f"Render #{third.pk} of Grace: Slower."),
    ]


def test_comments_thread_on_the_job_page_in_order(alice, bob, library, login):
    job = finished(library, requested_by=alice)
    login(alice).post(f"/review/renders/{job.pk}/comment/", {"body": "First take, thoughts?"})
    decide(login(bob), job, "changes_requested", "Slower, please.")
    login(alice).post(f"/review/renders/{job.pk}/comment/", {"body": "Will do."})
    empty = login(alice).post(f"/review/renders/{job.pk}/comment/", {"body": " "}, follow=True)

    page = text(login(alice).get(f"/studio/renders/{job.pk}/"))
    thread = page.split(">Comments</h2>")[1].split("</section>")[0]
    bodies = ["First take, thoughts?", "Slower, please.", "Will do."]
    assert [thread.index(b) for b in bodies] == sorted(thread.index(b) for b in bodies)
    assert re.search(r"alice · \d+ \w+ \d\d:\d\d</div>First take", thread)
    assert "A comment needs some text." in text(empty)
    assert JobComment.objects.count() == 3


# --- re-render and versions ----------------------------------------------------------------


def test_the_rerender_form_starts_from_the_old_inputs_and_shows_the_cost(
    bob, library, login, crun_key
):
    job = finished(library, seed=42, resolution="1080p", video_prompt="Nod now and then.")

    response = login(bob).get(f"/review/renders/{job.pk}/rerender/")
    form, page = response.context["form"], text(response)

    assert {name: form[name].value() for name in ("avatar", "script", "voice", "seed")} == {
        "avatar": library.avatar.pk,
        "script": library.script.pk,
        "voice": library.voice.pk,
        "seed": 42,
    }
    assert form["variables"].value() == "name=Ada"
    assert (form["resolution"].value(), form["video_prompt"].value()) == (
        "1080p",
        "Nod now and then.",
    )
    # The estimate is worked out in the page from these figures as the inputs change.
    assert 'id="estimate"' in page and "avatars/estimate.js" in page
    assert re.search(rf'"scripts": {{[^}}]*"{library.script.pk}": \d', page)
    assert '"crun": {"720p": "0.025", "1080p": "0.045"}' in page
    assert "$0.00 of $100.00 committed this month" in page


def test_a_rerender_is_a_new_version_linked_to_the_old_one(alice, bob, library, login, crun_key):
    first = finished(library, requested_by=alice)
    client = login(bob)

    second_response = client.post(
        f"/review/renders/{first.pk}/rerender/",
        render_form(library, voice=library.other_voice.pk, provider=crun_key),
        follow=True,
    )
    second = RenderJob.objects.latest("pk")
    RenderJob.objects.filter(pk=second.pk).update(status="succeeded")
    client.post(
        f"/review/renders/{second.pk}/rerender/", render_form(library, seed=9, provider=crun_key)
    )
    third = RenderJob.objects.latest("pk")

    assert (second.parent, second.root, second.voice) == (first, first, library.other_voice)
    assert (third.parent, third.root) == (second, first)
    assert second.requested_by == bob and second.estimated_cost > 0
    assert f"Render #{second.pk} is on its way as a new version of #{first.pk}." in text(
        second_response
    )
    assert list(review.versions(third).order_by("pk")) == [first, second, third]


def test_a_rerender_with_errors_stays_on_the_form(bob, library, login):
    job = finished(library)

    response = login(bob).post(
        f"/review/renders/{job.pk}/rerender/", render_form(library, variables="")
    )

    assert response.status_code == 200
    assert "Fill in {{name}}." in text(response)
    assert RenderJob.objects.count() == 1


def test_a_version_stays_in_the_team_of_the_video(bob, globex, asset_factory, library, login):
    globex.members.add(bob)
    job = finished(library)
    theirs = consented(asset_factory, globex, "Gina")

    form = login(bob).get(f"/review/renders/{job.pk}/rerender/").context["form"]
    response = login(bob).post(
        f"/review/renders/{job.pk}/rerender/",
        {
            **render_form(library),
            "team": globex.pk,
            "avatar": theirs.pk,
            "script": asset_factory.script(globex).pk,
            "voice": asset_factory.voice(globex).pk,
        },
    )

    assert list(form.fields["team"].queryset) == [library.avatar.team]
    assert "Select a valid choice" in text(response)
    assert RenderJob.objects.count() == 1


def test_the_versions_page_plays_two_versions_and_lists_what_differs(bob, library, login):
    first = finished(library, 1)
    second = finished(library, 2, parent=first, root=first, voice=library.other_voice, seed=5)

    response = login(bob).get(f"/review/renders/{second.pk}/versions/")
    page = text(response)

    assert (response.context["left"], response.context["right"]) == (first, second)
    videos = re.findall(r'<video class="player"[^>]* src="(/m/[^"]+)"', page)
    assert len(videos) == 2 and videos[0] != videos[1]
    differences = {d.label: (d.before, d.after) for d in response.context["differences"]}
    assert differences == {
        "Voice": ("Host · Kore (Female)", "Narrator · Puck (Male)"),
        "Seed": ("random", "5"),
    }
    diff_table = page.split("What differs")[1].split("History")[0]
    assert "<td>Voice</td>" in diff_table and "Narrator · Puck (Male)" in diff_table
    assert "No version is approved yet." in page


def test_the_versions_page_compares_any_two_versions(bob, library, login):
    first = finished(library, 1)
    second = finished(library, 2, parent=first, root=first, seed=5)
    third = finished(library, 3, parent=second, root=first, seed=5)

    chosen = login(bob).get(
        f"/review/renders/{first.pk}/versions/", {"a": second.pk, "b": third.pk}
    )
    same = login(bob).get(f"/review/renders/{first.pk}/versions/", {"a": first.pk, "b": first.pk})

    assert (chosen.context["left"], chosen.context["right"]) == (second, third)
    assert "The two versions were rendered from the same inputs." in text(chosen)
    assert list(chosen.context["lineage"]) == [first, second, third]
    assert same.status_code == 200


def test_a_job_page_links_to_its_versions(bob, library, login):
    first = finished(library, 1)
    second = finished(library, 2, parent=first, root=first)

    page = text(login(bob).get(f"/studio/renders/{first.pk}/"))

    assert f'href="/review/renders/{first.pk}/versions/">Versions (2)' in page
    assert second.pk


# --- the stable link -----------------------------------------------------------------------


def test_the_stable_link_serves_the_approved_version_and_follows_a_later_approval(
    bob, library, login
):
    first = finished(library, 1)
    second = finished(library, 2, parent=first, root=first)
    client = login(bob)
    stable = f"/v/{first.key}/"

    none_yet = client.get(stable, follow=True)
    decide(client, first, "approved")
    to_first = client.get(stable)
    decide(client, second, "approved")
    to_second = client.get(stable)
    by_later_key = client.get(f"/v/{second.key}/")

    assert none_yet.redirect_chain == [(f"/studio/renders/{first.pk}/", 302)]
    assert "No version of this video is approved yet." in text(none_yet)
    assert to_first["Location"] == f"/studio/renders/{first.pk}/"
    assert to_second["Location"] == f"/studio/renders/{second.pk}/"
    assert by_later_key["Location"] == f"/studio/renders/{second.pk}/"
    versions = text(client.get(f"/review/renders/{first.pk}/versions/"))
    assert f'The approved version is <a href="/studio/renders/{second.pk}/">' in versions
    assert f'<a href="{stable}">this link</a>' in versions


def test_the_stable_link_passes_over_a_version_approved_then_rejected(bob, library, login):
    first = finished(library, 1)
    second = finished(library, 2, parent=first, root=first)
    client = login(bob)
    decide(client, first, "approved")
    decide(client, second, "approved")
    decide(client, second, "rejected", "Wrong logo.")

    assert client.get(f"/v/{first.key}/")["Location"] == f"/studio/renders/{first.pk}/"


# --- share links ---------------------------------------------------------------------------


def share(client: Client, job: RenderJob, days: str = "7"):
    return client.post(f"/review/renders/{job.pk}/share/", {"days": days}, follow=True)


def test_only_an_approved_video_can_be_shared(bob, library, login):
    job = finished(library)
    client = login(bob)

    refused = share(client, job)
    page = text(client.get(f"/studio/renders/{job.pk}/"))

    assert "Only an approved video can be shared." in text(refused)
    assert "Create a share link" not in page
    assert not ShareLink.objects.exists()


@pytest.mark.parametrize("days", ["0", "91", "", "x"])
def test_a_share_link_lasts_between_one_and_ninety_days(bob, library, login, days):
    job = finished(library, review=ReviewStatus.APPROVED)

    refused = share(login(bob), job, days)

    assert "A share link lasts between 1 and 90 days." in text(refused)
    assert not ShareLink.objects.exists()


def test_a_share_link_shows_only_the_video_to_anyone(alice, bob, library, login):
    job = finished(library, requested_by=alice)
    decide(login(bob), job, "approved", "Great, ship it.")
    created = share(login(bob), job, "7")
    link = ShareLink.objects.get()
    url = f"/s/{link.token}/"

    public = Client().get(url)
    page = text(public)

    assert f"http://testserver{url}" in text(created)
    assert f"until {link.expires_at:%-d %b %Y}" in text(created)
    assert public.status_code == 200
    assert public["X-Robots-Tag"] == "noindex" and public["Referrer-Policy"] == "no-referrer"
    assert len(re.findall(r"<video ", page)) == 1
    assert re.search(r'<video class="player" [^>]*poster="/m/.+" src="/m/', page)
    # The script's title is the video's (test_share_page.py); nothing else of the team shows.
    assert "<title>Welcome</title>" in page
    for secret in ("Acme", "alice", "bob", "Grace", "Ship it", "timeline", "Host"):
        assert secret.lower() not in page.lower(), secret
    job_page = text(login(bob).get(f"/studio/renders/{job.pk}/"))
    assert "Shared with a link that expires on" in job_page


def test_a_revoked_or_expired_share_link_is_gone(bob, library, login):
    job = finished(library, review=ReviewStatus.APPROVED)
    client = login(bob)
    share(client, job)
    share(client, job)
    revoked, expired = ShareLink.objects.order_by("pk")

    before = Client().get(f"/s/{revoked.token}/")
    answer = client.post(f"/review/links/{revoked.pk}/revoke/", follow=True)
    again = client.post(f"/review/links/{revoked.pk}/revoke/", follow=True)
    ShareLink.objects.filter(pk=expired.pk).update(expires_at=timezone.now())
    gone = Client().get(f"/s/{revoked.token}/")
    lapsed = Client().get(f"/s/{expired.token}/")
    unknown = Client().get("/s/no-such-token/")

    assert before.status_code == 200
    assert "The share link no longer works." in text(answer)
    assert "no longer works" not in text(again)
    for response in (gone, lapsed, unknown):
        assert response.status_code == 410
        assert "This link has expired or was withdrawn." in text(response)
        assert "<video" not in text(response)
    job_page = text(client.get(f"/studio/renders/{job.pk}/"))
    assert "A link revoked" in job_page and "A link expired" in job_page
    assert JobEvent.objects.filter(job=job, message="Revoked a share link.").count() == 1


def test_share_links_made_and_revoked_are_in_the_audit_log_an_auditor_reads(
    bob, audrey, acme, library, login
):
    job = finished(library, review=ReviewStatus.APPROVED)
    client = login(bob)
    share(client, job, "3")
    link = ShareLink.objects.get()
    client.post(f"/review/links/{link.pk}/revoke/")
    client.post(f"/review/links/{link.pk}/revoke/")

    entries = AuditEntry.objects.order_by("pk")
    audit = text(login(audrey).get("/credits/audit/"))

    expires = f"{timezone.localtime(link.expires_at):%-d %b %Y}"
    assert [(e.action, e.actor, e.team, e.job, e.detail) for e in entries] == [
        ("share_created", bob, acme, job, f"Render #{job.pk}: link #{link.pk}, expires {expires}"),
        ("share_revoked", bob, acme, job, f"Render #{job.pk}: link #{link.pk}"),
    ]
    assert "Share link created" in audit and "Share link revoked" in audit


def test_a_share_link_stops_when_the_video_is_no_longer_approved(bob, library, login):
    job = finished(library, review=ReviewStatus.APPROVED)
    client = login(bob)
    share(client, job)
    link = ShareLink.objects.get()

    decide(client, job, "rejected", "Legal said no.")

    assert Client().get(f"/s/{link.token}/").status_code == 410
