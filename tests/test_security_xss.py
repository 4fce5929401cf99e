"""XSS: a payload in every text field a person (or a provider) can set, and every page that
shows it, fetched as the people who see it. The payload must appear escaped, never raw.

Rows are written straight into the database, bypassing the forms' own checks, so that a
template that forgets to escape is found even where a form would have refused the text.
One Chromium test loads the main pages and checks that no script ran and no element was
injected.
"""

import html
from collections.abc import Iterator

import pytest
from django.test import Client
from django.utils import timezone

from avatars.models import (
    JobComment,
    JobEvent,
    Notification,
    RenderJob,
    ReviewStatus,
    Tag,
)
from tests.browser import log_in

PAYLOADS = [
    "<script>window.__xss=1</script>",
    '"><img src=x onerror="window.__xss=1">',
    "'><svg onload=window.__xss=1>",
    "javascript:window.__xss=1",
    "</textarea><script>window.__xss=1</script>",
    "{{ request.user.password }}{% debug %}",
]
# A marker element a successful injection would leave in the page.
MARKERS = ["<script>window.__xss", "<img src=x onerror", "<svg onload", "</textarea><script>"]


@pytest.fixture(autouse=True)
def fast_passwords(settings) -> None:
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def poisoned(acme, alice, bob, asset_factory, payload: str) -> dict[str, object]:
    """Acme's library and renders with `payload` in every text a person or provider sets."""
    acme.name = f"Acme {payload}"
    acme.save()
    avatar = asset_factory.avatar(
        acme,
        f"Grace {payload}",
        consent_person=f"Grace {payload}",
        consent_reference=payload,
        consent_scope="any",
        consent_expires=timezone.localdate() + timezone.timedelta(days=365),
    )
    # Tags are short (40 characters): as much of the payload as fits.
    tag_length = Tag._meta.get_field("name").max_length
    avatar.tags.add(Tag.objects.create(team=acme, name=payload[:tag_length]))
    voice = asset_factory.voice(acme, f"Voice {payload}")
    voice.style_prompt = payload
    voice.save()
    script = asset_factory.script(acme, f"Script {payload}", f"Hello {payload} {{{{name}}}}")
    clip = asset_factory.clip(acme, f"Clip {payload}")
    done = asset_factory.job(
        acme,
        requested_by=alice,
        avatar=avatar,
        video_prompt=payload,
        finished_at=timezone.now(),
        text=f"Spoken {payload}",
    )
    failed = asset_factory.job(
        acme,
        "failed",
        requested_by=alice,
        avatar=avatar,
        error_code="provider_error",
        error_message=f"The provider said: {payload}",
    )
    rejected = asset_factory.job(
        acme,
        requested_by=alice,
        avatar=avatar,
        review=ReviewStatus.REJECTED,
        reviewed_by=bob,
        reviewed_at=timezone.now(),
    )
    for job in (done, failed, rejected):
        JobComment.objects.create(job=job, author=bob, body=f"Comment {payload}")
        JobEvent.objects.create(job=job, kind=JobEvent.Kind.CALLBACK, message=f"Said {payload}")
    for user in (alice, bob):
        Notification.objects.create(
            user=user, job=done, kind="succeeded", message=f"Ready {payload}"
        )
    return {"avatar": avatar, "voice": voice, "script": script, "clip": clip,
            "done": done, "failed": failed, "rejected": rejected}  # fmt: skip


def pages(rows: dict) -> Iterator[tuple[str, str]]:
    """(who, path) for every page that shows the rows above."""
    jobs = [rows["done"], rows["failed"], rows["rejected"]]
    for path in (
        "/studio/",
        "/studio/scripts/",
        f"/studio/scripts/{rows['script'].pk}/",
        "/studio/render/",
        "/studio/renders/",
        "/studio/renders/?who=team",
        "/studio/notifications/",
        *(f"/studio/renders/{job.pk}/" for job in jobs),
    ):
        yield "alice", path
    yield "bob", "/review/"
    for job in jobs:
        yield "bob", f"/review/renders/{job.pk}/versions/"
        yield "bob", f"/review/renders/{job.pk}/rerender/"
    for model, row in [
        ("avatar", rows["avatar"]),
        ("voice", rows["voice"]),
        ("script", rows["script"]),
        ("audioclip", rows["clip"]),
        ("renderjob", rows["done"]),
        ("renderjob", rows["failed"]),
    ]:
        yield "alice", f"/admin/avatars/{model}/"
        yield "alice", f"/admin/avatars/{model}/{row.pk}/change/"
        yield "alice", f"/admin/avatars/{model}/{row.pk}/history/"
    yield "alice", "/admin/avatars/tag/"
    yield "alice", "/admin/avatars/renderjob/add/"
    yield "root", "/admin/avatars/team/"
    yield "root", f"/admin/avatars/team/{rows['avatar'].team_id}/change/"
    yield "root", "/admin/"
    for path in ("/credits/", "/credits/ledger/", "/credits/holds/", "/credits/audit/"):
        yield "audrey", path


@pytest.mark.parametrize("payload", PAYLOADS)
def test_every_page_shows_the_payload_escaped(
    payload, acme, alice, bob, audrey, root, asset_factory, request
):
    rows = poisoned(acme, alice, bob, asset_factory, payload)
    clients = {}
    escaped_somewhere = 0
    for who, path in pages(rows):
        if who not in clients:
            clients[who] = Client()
            clients[who].force_login(request.getfixturevalue(who))
        response = clients[who].get(path)
        assert response.status_code == 200, path
        page = response.content.decode()
        for marker in MARKERS:
            assert marker not in page, f"{marker!r} raw on {path}"
        if "{{" in payload:
            assert "SQLDebug" not in page and "pbkdf2" not in page and "md5$" not in page
        escaped_somewhere += html.escape(payload) in page or html.escape(payload, False) in page
    assert escaped_somewhere >= 10


@pytest.mark.browser
def test_no_payload_runs_in_the_browser(
    live_server, new_page, shoot, acme, alice, bob, asset_factory
):
    payload = PAYLOADS[1]
    rows = poisoned(acme, alice, bob, asset_factory, payload)
    page = new_page()
    dialogs: list[str] = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    log_in(page, live_server.url, alice, shoot)
    done: RenderJob = rows["done"]

    for path in (
        "/studio/",
        "/studio/scripts/",
        "/studio/renders/",
        f"/studio/renders/{done.pk}/",
        f"/studio/renders/{rows['failed'].pk}/",
        "/studio/notifications/",
        "/admin/avatars/avatar/",
        f"/admin/avatars/renderjob/{rows['failed'].pk}/change/",
    ):
        page.goto(live_server.url + path)
        page.wait_for_load_state("load")
        assert page.evaluate("window.__xss") is None, path
        assert page.locator("img[src=x], svg[onload]").count() == 0, path
    shoot(page, "last-page")
    assert dialogs == []
