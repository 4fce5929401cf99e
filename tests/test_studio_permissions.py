"""Every studio and review page and action, for every role: each gets exactly what it may.

Besides the cast of conftest (alice Marketing and bob Editor in Acme, charlie Marketing in
Globex, audrey Auditor, root), gus is an Editor in Globex: he holds every permission an
Acme editor holds, so where he gets 404 it is the team boundary, not a missing permission,
that stops him. Every row below belongs to Acme.

- Marketers (alice) work in the studio, request renders and comment; they do not review,
  approve spend, cancel, re-render or share.
- Editors (bob) do all of that as well.
- Another team (charlie, gus) gets 404 for Acme's jobs and scripts, or 403 where the
  action needs a permission they do not hold at all.
- Auditors (audrey) see every team's pages and change nothing (403).
- Anonymous visitors are sent to the login page, except on a share link.
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import timezone

from avatars.models import (
    Avatar,
    JobComment,
    Notification,
    RenderJob,
    ReviewStatus,
    Script,
    ScriptRevision,
    ShareLink,
)
from tests.files import portrait_bytes

ROLES = ["anonymous", "alice", "bob", "charlie", "gus", "audrey", "root"]
LOGIN = "login"  # a redirect to /admin/login/?next=…


@dataclass
class World:
    avatar: Avatar
    script: Any
    voice: Any
    done: RenderJob  # succeeded, awaiting review
    approved: RenderJob  # succeeded and approved
    running: RenderJob  # queued
    waiting: RenderJob  # over the approval threshold
    link: ShareLink
    extra: dict[str, Any] = field(default_factory=dict)
    draft: RenderJob | None = None  # a finished free draft


@pytest.fixture(autouse=True)
def fast_passwords(settings) -> None:
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def world(acme, alice, bob, charlie, gus, audrey, root, asset_factory, crun_key) -> World:
    """Acme's rows; Crun configured so that a draft has a paid provider to be sent on to."""
    avatar = asset_factory.avatar(
        acme,
        "Grace",
        consent_person="Grace Hopper",
        consent_scope="any",
        consent_expires=timezone.localdate() + timezone.timedelta(days=365),
    )
    script = asset_factory.script(acme, "Welcome", "Welcome aboard, friend.")
    voice = asset_factory.voice(acme, "Host")
    now = timezone.now()
    done = asset_factory.job(acme, requested_by=alice, avatar=avatar, finished_at=now)
    approved = asset_factory.job(
        acme,
        requested_by=alice,
        avatar=avatar,
        review=ReviewStatus.APPROVED,
        reviewed_by=bob,
        reviewed_at=now,
    )
    link = ShareLink.objects.create(
        job=approved, created_by=bob, expires_at=now + timezone.timedelta(days=7)
    )
    for user in (alice, bob, charlie, gus, audrey, root):
        Notification.objects.create(user=user, job=done, kind="succeeded", message="Ready.")
    return World(
        avatar=avatar,
        script=script,
        voice=voice,
        done=done,
        approved=approved,
        running=asset_factory.job(acme, "queued", requested_by=alice, avatar=avatar),
        waiting=asset_factory.job(acme, "awaiting_approval", requested_by=alice, avatar=avatar),
        link=link,
        draft=asset_factory.job(
            acme,
            requested_by=alice,
            avatar=avatar,
            is_draft=True,
            duration_seconds=3.0,
            variables={"name": "Ada"},
        ),
    )


def portrait_post(w: World) -> dict[str, Any]:
    return {
        "team": w.avatar.team_id,
        "name": "Linus",
        "consent_person": "Linus",
        "consent_scope": "internal",
        "consent_expires": (timezone.localdate() + timezone.timedelta(days=90)).isoformat(),
        "portrait": SimpleUploadedFile("me.jpg", portrait_bytes(seed=4242), "image/jpeg"),
    }


def render_post(w: World) -> dict[str, Any]:
    return {
        "team": w.avatar.team_id,
        "avatar": w.avatar.pk,
        "script": w.script.pk,
        "voice": w.voice.pk,
        "resolution": "720p",
        "provider": "sandbox",
    }


def script_post(w: World) -> dict[str, Any]:
    return {"team": w.script.team_id, "title": "Goodbye", "language": "en-US", "text": "Bye!"}


def script_edit_post(w: World) -> dict[str, Any]:
    latest = w.script.revisions.latest("number").number
    return {"title": "Welcome", "language": "en-US", "text": "Welcome back.", "based_on": latest}


def unsaved_text(w: World) -> dict[str, Any]:
    return {"text": "Hello {{name}}.", "language": "en-US", "voice": w.voice.pk}


def script_url(suffix: str) -> Callable[[World], str]:
    return lambda w: f"/studio/scripts/{w.script.pk}/{suffix}"


def job_count(w: World) -> int:
    return RenderJob.objects.count()


@dataclass(frozen=True)
class Endpoint:
    method: str
    url: Callable[[World], str]
    # Expected status by role; a role left out gets `default`.
    expect: dict[str, int | str]
    default: int | str = 200
    data: Callable[[World], dict[str, Any]] | None = None
    # A reading of what the action changes: it must differ after a 302 and only then.
    effect: Callable[[World], Any] | None = None
    anonymous: int | str = LOGIN


def job_url(name: str, suffix: str = "") -> Callable[[World], str]:
    return lambda w: f"/studio/renders/{getattr(w, name).pk}/{suffix}"


def review_url(name: str, action: str) -> Callable[[World], str]:
    return lambda w: f"/review/renders/{getattr(w, name).pk}/{action}/"


OTHER_TEAM_404 = {"charlie": 404, "gus": 404}
# Editors' actions: marketers, the other team's marketer and auditors lack the permission.
EDITOR_ONLY = {"alice": 403, "charlie": 403, "gus": 404, "audrey": 403}

ENDPOINTS: dict[str, Endpoint] = {
    "studio home": Endpoint("get", lambda w: "/studio/", {}),
    "upload page": Endpoint("get", lambda w: "/studio/avatars/new/", {"audrey": 403}),
    "upload": Endpoint(
        "post",
        lambda w: "/studio/avatars/new/",
        # Acme is not a team the other team may upload into: the form says so.
        {"audrey": 403, "charlie": 200, "gus": 200},
        default=302,
        data=portrait_post,
        effect=lambda w: Avatar.objects.count(),
    ),
    "scripts": Endpoint("get", lambda w: "/studio/scripts/", {}),
    "script": Endpoint("get", lambda w: f"/studio/scripts/{w.script.pk}/", OTHER_TEAM_404),
    "speech preview": Endpoint(
        "get", lambda w: f"/studio/scripts/{w.script.pk}/preview.wav", OTHER_TEAM_404
    ),
    # Scripts are written by those who may add or change scripts in the script's team.
    "new script page": Endpoint("get", lambda w: "/studio/scripts/new/", {"audrey": 403}),
    "new script": Endpoint(
        "post",
        lambda w: "/studio/scripts/new/",
        # Acme is not a team the other team may write into: the form says so.
        {"audrey": 403, "charlie": 200, "gus": 200},
        default=302,
        data=script_post,
        effect=lambda w: Script.objects.count(),
    ),
    "edit script page": Endpoint("get", script_url("edit/"), {**OTHER_TEAM_404, "audrey": 403}),
    "edit script": Endpoint(
        "post",
        script_url("edit/"),
        {**OTHER_TEAM_404, "audrey": 403},
        default=302,
        data=script_edit_post,
        effect=lambda w: ScriptRevision.objects.count(),
    ),
    "archive script": Endpoint(
        "post",
        script_url("archive/"),
        {**OTHER_TEAM_404, "audrey": 403},
        default=302,
        data=lambda w: {"archived": "1"},
        effect=lambda w: Script.objects.get(pk=w.script.pk).archived,
    ),
    "duplicate script": Endpoint(
        "post",
        script_url("copy/"),
        {**OTHER_TEAM_404, "audrey": 403},
        default=302,
        effect=lambda w: Script.objects.count(),
    ),
    "check unsaved text": Endpoint(
        "post", lambda w: "/studio/scripts/check.json", {"audrey": 403}, data=unsaved_text
    ),
    "hear unsaved text": Endpoint(
        "post", lambda w: "/studio/scripts/preview.wav", {"audrey": 403}, data=unsaved_text
    ),
    "hear a script's unsaved text": Endpoint(
        "post", script_url("preview.wav"), {**OTHER_TEAM_404, "audrey": 403}, data=unsaved_text
    ),
    "new render page": Endpoint("get", lambda w: "/studio/render/", {"audrey": 403}),
    "new render": Endpoint(
        "post",
        lambda w: "/studio/render/",
        {"audrey": 403, "charlie": 200, "gus": 200},
        default=302,
        data=render_post,
        effect=job_count,
    ),
    "renders": Endpoint("get", lambda w: "/studio/renders/", {}),
    "team renders": Endpoint("get", lambda w: "/studio/renders/?who=team", {}),
    "status": Endpoint("get", lambda w: f"/studio/renders/status.json?ids={w.done.pk}", {}),
    "job page": Endpoint("get", job_url("done"), OTHER_TEAM_404),
    "job status": Endpoint("get", job_url("running", "status.json"), OTHER_TEAM_404),
    "cancel": Endpoint(
        "post",
        job_url("running", "cancel/"),
        {"alice": 403, **OTHER_TEAM_404, "audrey": 403},
        default=302,
        effect=lambda w: RenderJob.objects.get(pk=w.running.pk).status,
    ),
    "approve spend": Endpoint(
        "post",
        job_url("waiting", "approve/"),
        {"alice": 403, **OTHER_TEAM_404, "audrey": 403},
        default=302,
        effect=lambda w: RenderJob.objects.get(pk=w.waiting.pk).status,
    ),
    "send draft on": Endpoint(
        "post",
        job_url("draft", "send-on/"),
        {**OTHER_TEAM_404, "audrey": 403},
        default=302,
        data=lambda w: {"provider": "crun"},
        effect=job_count,
    ),
    "review desk": Endpoint(
        "get", lambda w: "/review/", {"alice": 403, "charlie": 403, "audrey": 403}
    ),
    "decide": Endpoint(
        "post",
        review_url("done", "decide"),
        EDITOR_ONLY,
        default=302,
        data=lambda w: {"decision": "approved"},
        effect=lambda w: RenderJob.objects.get(pk=w.done.pk).review,
    ),
    "comment": Endpoint(
        "post",
        review_url("done", "comment"),
        {**OTHER_TEAM_404, "audrey": 403},
        default=302,
        data=lambda w: {"body": "Lovely."},
        effect=lambda w: JobComment.objects.count(),
    ),
    "re-render page": Endpoint("get", review_url("done", "rerender"), EDITOR_ONLY),
    "re-render": Endpoint(
        "post",
        review_url("done", "rerender"),
        EDITOR_ONLY,
        default=302,
        data=render_post,
        effect=job_count,
    ),
    "versions": Endpoint("get", review_url("done", "versions"), OTHER_TEAM_404),
    "share": Endpoint(
        "post",
        review_url("approved", "share"),
        EDITOR_ONLY,
        default=302,
        data=lambda w: {"days": "7"},
        effect=lambda w: ShareLink.objects.count(),
    ),
    "revoke": Endpoint(
        "post",
        lambda w: f"/review/links/{w.link.pk}/revoke/",
        EDITOR_ONLY,
        default=302,
        effect=lambda w: ShareLink.objects.get(pk=w.link.pk).revoked_at is not None,
    ),
    "stable link": Endpoint("get", lambda w: f"/v/{w.approved.key}/", OTHER_TEAM_404, default=302),
    "share page": Endpoint("get", lambda w: f"/s/{w.link.token}/", {}, anonymous=200),
    "notifications": Endpoint("get", lambda w: "/studio/notifications/", {}),
    "mark all read": Endpoint("post", lambda w: "/studio/notifications/", {}, default=302),
}
ACTIONS = [name for name, e in ENDPOINTS.items() if e.method == "post"]
# The pure actions have no page: GET is refused outright.
POST_ONLY = [
    "cancel",
    "approve spend",
    "send draft on",
    "decide",
    "comment",
    "share",
    "revoke",
    "archive script",
    "duplicate script",
]
# Asked of the sandbox over HTTP.
SPEECH = {"speech preview", "hear unsaved text", "hear a script's unsaved text"}


def client_for(role: str, request: pytest.FixtureRequest, **options: Any) -> Client:
    client = Client(**options)
    if role != "anonymous":
        client.force_login(request.getfixturevalue(role))
    return client


def call(client: Client, endpoint: Endpoint, w: World, method: str | None = None):
    method = method or endpoint.method
    data = endpoint.data(w) if endpoint.data and method == "post" else {}
    return getattr(client, method)(endpoint.url(w), data)


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("name", ENDPOINTS)
def test_each_role_gets_exactly_what_it_may(name, role, world, request):
    endpoint = ENDPOINTS[name]
    expected = (
        endpoint.anonymous if role == "anonymous" else endpoint.expect.get(role, endpoint.default)
    )
    before = endpoint.effect(world) if endpoint.effect else None
    if name in SPEECH:
        request.getfixturevalue("sandbox")  # the preview is asked of the sandbox over HTTP

    response = call(client_for(role, request), endpoint, world)

    if expected == LOGIN:
        assert response.status_code == 302
        assert response["Location"].startswith("/admin/login/?next=/")
    else:
        assert response.status_code == expected, response.content[:500]
    if endpoint.effect:
        changed = endpoint.effect(world) != before
        assert changed == (expected == 302), f"{name} by {role}: changed={changed}"


@pytest.mark.parametrize("name", POST_ONLY)
def test_an_action_refuses_get(name, world, request):
    endpoint = ENDPOINTS[name]
    before = endpoint.effect(world)

    response = call(client_for("root", request), endpoint, world, method="get")

    assert response.status_code == 405
    assert endpoint.effect(world) == before


@pytest.mark.parametrize("name", ACTIONS)
def test_an_action_refuses_a_post_without_a_csrf_token(name, world, request):
    endpoint = ENDPOINTS[name]
    before = endpoint.effect(world) if endpoint.effect else None
    unread = Notification.objects.filter(read_at=None).count()

    response = call(client_for("bob", request, enforce_csrf_checks=True), endpoint, world)

    assert response.status_code == 403
    assert b"CSRF" in response.content
    if endpoint.effect:
        assert endpoint.effect(world) == before
    assert Notification.objects.filter(read_at=None).count() == unread


def test_every_studio_and_review_url_is_in_the_table():
    from django.urls import get_resolver

    from avatars.views import review_urls, studio_urls

    names = {p.name for p in studio_urls.urlpatterns} | {p.name for p in review_urls.urlpatterns}
    covered = {
        "home", "avatar_new", "scripts", "script", "speech_preview", "new_render", "renders",
        "renders_status", "job", "job_status", "job_cancel", "job_approve", "job_send_on",
        "notifications",
        "queue", "decide", "comment", "rerender", "versions", "share", "revoke",
        "script_new", "script_edit", "script_archive", "script_duplicate", "script_check",
        "speech_preview_text",
        # An avatar's page: tests/test_avatar_page_permissions.py.
        "avatar", "avatar_consent", "avatar_tags", "avatar_archive", "avatar_withdraw",
        # Campaigns: tests/test_campaign_pages.py (other teams 404, Auditors read only).
        "campaigns", "campaign_new", "campaign_create", "campaign", "campaign_status",
        "campaign_export", "campaign_videos", "campaign_reupload", "campaign_action",
    }  # fmt: skip
    assert names == covered
    assert {"stable", "share"} <= set(get_resolver().reverse_dict)


def test_the_status_feed_leaves_out_other_teams_jobs(world, charlie, alice, audrey, login):
    url = f"/studio/renders/status.json?ids={world.done.pk},{world.running.pk}"

    assert login(charlie).get(url).json() == {}
    assert set(login(alice).get(url).json()) == {str(world.done.pk), str(world.running.pk)}
    assert set(login(audrey).get(url).json()) == {str(world.done.pk), str(world.running.pk)}


def test_the_other_team_sees_none_of_acmes_rows_in_its_lists(world, charlie, login):
    client = login(charlie)

    for path in ("/studio/", "/studio/scripts/", "/studio/renders/?who=team"):
        page = client.get(path).content.decode()
        assert "Grace" not in page and "Welcome" not in page and f"#{world.done.pk}<" not in page


def test_an_auditor_sees_every_teams_job_page_without_actions(world, audrey, login):
    page = login(audrey).get(f"/studio/renders/{world.running.pk}/").content.decode()

    assert "Cancel render" not in page
    assert "Add a comment" not in page
    assert "Re-render" not in page
