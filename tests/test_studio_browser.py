"""The studio and the review desk in a real browser, against the live app and the sandbox.

alice (Marketing) uploads a portrait, renders it and watches the render finish without
reloading; bob (Editor) asks for changes, re-renders with another voice and compares, and
erin (a second Editor) approves bob's version; a share link plays for an anonymous visitor
until bob revokes it.

Every page is kept as test-artifacts/screenshots/studio-<page>.png (1280 wide, and the
renders list and job page also 390 wide) for a person to look at.
"""

from pathlib import Path

import pytest
from django.contrib.auth.models import User
from django.utils import timezone
from playwright.sync_api import Page, expect

from avatars import render, roles
from avatars.models import Avatar, JobStatus, RenderJob, ReviewStatus, Script, Voice
from tests.browser import PHONE, SCREENSHOTS
from tests.files import portrait_bytes
from tests.helpers.browser_login import log_in
from tests.helpers.jobs import wait_for

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("fast_passwords"),
]

# Resolves with the video's duration once its metadata has loaded, or -1 on an error.
VIDEO_DURATION = """video => video.readyState >= 1 ? video.duration : new Promise(resolve => {
    video.addEventListener("loadedmetadata", () => resolve(video.duration));
    video.addEventListener("error", () => resolve(-1));
})"""
# Seeks into the video, plays it muted for a moment and resolves with its error code
# (0 when it played) and how far it got.
PLAY = """async video => {
    video.muted = true;
    await new Promise(resolve => {
        video.addEventListener("seeked", resolve, { once: true });
        video.currentTime = 0.5;
    });
    try { await video.play(); } catch (error) { return { error: -2, at: video.currentTime }; }
    await new Promise(resolve => setTimeout(resolve, 600));
    video.pause();
    return { error: video.error ? video.error.code : 0, at: video.currentTime };
}"""
READY_STATE = """video => video.readyState >= 1 ? video.readyState : new Promise(resolve => {
    video.addEventListener("loadedmetadata", () => resolve(video.readyState));
    video.addEventListener("error", () => resolve(-1));
})"""


def snap(page: Page, name: str, phone: bool = False) -> None:
    """Keep the whole page as studio-<name>.png (and -phone.png at 390 wide)."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=SCREENSHOTS / f"studio-{name}.png", full_page=True)
    if phone:
        desktop = page.viewport_size
        page.set_viewport_size(PHONE)
        page.screenshot(path=SCREENSHOTS / f"studio-{name}-phone.png", full_page=True)
        page.set_viewport_size(desktop)


@pytest.fixture
def library(acme, asset_factory):
    asset_factory.script(acme, "Welcome", "Welcome aboard, {{name}}! We are glad you are here.")
    asset_factory.voice(acme, "Host")
    narrator = asset_factory.voice(acme, "Narrator")
    narrator.speaker = "Puck"
    narrator.save()
    return acme


def finished_render(acme, asset_factory, user: User) -> RenderJob:
    """A render of Grace by `user`, through the real pipeline, waited for."""
    avatar = asset_factory.avatar(
        acme,
        "Grace",
        consent_person="Grace",
        consent_scope="any",
        consent_expires=timezone.localdate() + timezone.timedelta(days=90),
    )
    script = Script.objects.get(team=acme, title="Welcome")
    request = render.RenderRequest(
        team=acme,
        user=user,
        avatar=avatar,
        script=script,
        voice=Voice.objects.get(team=acme, name="Host"),
        variables={"name": "Ada"},
        provider="sandbox",
    )
    job = wait_for(render.request_render(request))
    assert job.status == JobStatus.SUCCEEDED, job.error_message
    return job


def test_a_marketer_uploads_a_portrait_renders_it_and_watches_it_finish(
    alice, bob, library, tmp_path: Path, sandbox, embedded_worker, live_server, new_page
):
    base = live_server.url
    page = new_page()
    log_in(page, base, alice, "/studio/avatars/new/", before=lambda p: snap(p, "login"))

    photo = tmp_path / "grace.jpg"
    photo.write_bytes(portrait_bytes(seed=7, size=(600, 800)))
    page.get_by_label("Name", exact=True).fill("Grace")
    page.get_by_label("Person portrayed").fill("Grace Hopper")
    page.get_by_label("Consent scope").select_option(label="Any commercial use")
    expires = timezone.localdate() + timezone.timedelta(days=365)
    page.get_by_label("Consent expires").fill(expires.isoformat())
    page.get_by_label("Tags").fill("sales, EMEA")
    page.get_by_label("Portrait").set_input_files(photo)
    snap(page, "upload")
    page.get_by_role("button", name="Upload").click()
    expect(page).to_have_url(f"{base}/studio/")
    expect(page.locator(".messages")).to_contain_text("“Grace” is in the library.")
    expect(page.locator(".card")).to_contain_text("Valid")
    snap(page, "gallery")

    page.get_by_role("link", name="Render with Grace").click()
    expect(page.get_by_label("Avatar", exact=True)).to_have_value(str(Avatar.objects.get().pk))
    page.get_by_label("Script", exact=True).select_option(label="Welcome")
    page.get_by_label("Voice", exact=True).select_option(label="Host")
    page.get_by_label("Variables").fill("name=Ada")
    page.get_by_label("Provider").select_option("sandbox")
    expect(page.locator("#estimate")).to_contain_text("Free draft — $0.00")
    expect(page.locator(".budget")).to_contain_text("left")
    snap(page, "new-render")
    page.get_by_role("button", name="Render", exact=True).click()

    job = RenderJob.objects.get()
    expect(page).to_have_url(f"{base}/studio/renders/{job.pk}/")
    expect(page.locator(".messages")).to_contain_text(f"Render #{job.pk} is a free draft")
    snap(page, "job-running")
    # Nobody reloads: the page polls the status and reloads itself once the job is final.
    expect(page.locator("video.player")).to_be_visible(timeout=60_000)
    job.refresh_from_db()
    assert job.status == JobStatus.SUCCEEDED, job.error_message
    video = page.locator("video.player")
    assert abs(video.evaluate(VIDEO_DURATION) - job.duration_seconds) < 0.1
    played = video.evaluate(PLAY)
    assert played["error"] == 0 and played["at"] > 0.5, played
    expect(page.locator(".timeline")).to_contain_text("storing → succeeded")
    expect(page.locator("#unread")).to_have_text("1")
    snap(page, "job-finished", phone=True)

    page.get_by_role("link", name="Renders", exact=True).click()
    expect(page.locator("#renders")).to_contain_text(f"#{job.pk}")
    expect(page.locator("#renders .badge-ok").first).to_have_text("Succeeded")
    snap(page, "renders", phone=True)
    page.get_by_role("link", name="Scripts", exact=True).click()
    snap(page, "scripts")
    page.get_by_role("link", name="Welcome").click()
    expect(page.locator("h1")).to_have_text("Welcome")
    snap(page, "script")
    page.locator(".bell").click()
    expect(page.locator("main")).to_contain_text(f"Render #{job.pk} of Grace is ready to watch.")
    snap(page, "notifications")
    page.get_by_role("button", name="Mark all as read").click()
    expect(page.locator("#unread")).to_have_count(0)


def test_an_editor_asks_for_changes_rerenders_with_another_voice_compares_and_approves(
    alice,
    bob,
    library,
    asset_factory,
    user_factory,
    sandbox,
    embedded_worker,
    live_server,
    new_page,
):
    base = live_server.url
    first = finished_render(library, asset_factory, alice)
    page = new_page()
    log_in(page, base, bob, "/review/")
    expect(page.locator("table.list")).to_contain_text(f"#{first.pk}")
    snap(page, "review-queue")

    page.get_by_role("link", name=f"#{first.pk}").click()
    page.get_by_placeholder("What should change?").fill("A deeper voice, please.")
    page.get_by_role("button", name="Request changes").click()
    expect(page.locator(".messages")).to_contain_text(f"Render #{first.pk}: changes requested.")
    expect(page.locator(".comment").first).to_contain_text("A deeper voice, please.")
    snap(page, "job-changes-requested")

    page.get_by_role("link", name="Re-render with changes").click()
    page.get_by_label("Voice", exact=True).select_option(label="Narrator")
    expect(page.locator("#estimate")).to_contain_text("Free draft — $0.00")
    snap(page, "rerender")
    page.get_by_role("button", name="Render the new version").click()
    expect(page.locator(".messages")).to_contain_text(f"as a new version of #{first.pk}")
    second = RenderJob.objects.exclude(pk=first.pk).get()
    assert (second.parent_id, second.root_id) == (first.pk, first.pk)
    expect(page.locator("video.player")).to_be_visible(timeout=60_000)

    page.get_by_role("link", name="Versions (2)").click()
    videos = page.locator("video.player")
    expect(videos).to_have_count(2)
    for n in range(2):
        assert videos.nth(n).evaluate(VIDEO_DURATION) > 0
    diff = page.locator("table.diff")
    expect(diff.locator("tr", has_text="Voice")).to_contain_text("Narrator · Puck (Male)")
    expect(diff.locator("tr", has_text="Voice")).to_contain_text("Host · Kore (Female)")
    snap(page, "versions")

    page.get_by_role("link", name=f"#{second.pk}").first.click()
    expect(page).to_have_url(f"{base}/studio/renders/{second.pk}/")
    # bob asked for this version himself: another Editor approves it (four eyes).
    expect(page.get_by_role("button", name="Approve", exact=True)).to_have_count(0)
    expect(page.locator("#review")).to_contain_text("another Editor approves it")
    erin = user_factory("erin", roles.EDITOR, library)
    page = new_page()
    log_in(page, base, erin, f"/studio/renders/{second.pk}/")
    page.get_by_role("button", name="Approve", exact=True).click()
    expect(page.locator(".messages")).to_contain_text(f"Render #{second.pk}: approved.")
    snap(page, "job-approved")
    second.refresh_from_db()
    assert (second.review, second.reviewed_by) == (ReviewStatus.APPROVED, erin)

    page.goto(f"{base}/v/{first.key}/")
    expect(page).to_have_url(f"{base}/studio/renders/{second.pk}/")


def test_a_share_link_plays_for_an_anonymous_visitor_until_it_is_revoked(
    alice, bob, library, asset_factory, sandbox, embedded_worker, live_server, new_page
):
    base = live_server.url
    job = finished_render(library, asset_factory, alice)
    RenderJob.objects.filter(pk=job.pk).update(
        review=ReviewStatus.APPROVED, reviewed_by=bob, reviewed_at=timezone.now()
    )
    page = new_page()
    log_in(page, base, bob, f"/studio/renders/{job.pk}/")
    page.get_by_label("Valid for").fill("3")
    page.get_by_role("button", name="Create a share link").click()
    expect(page.locator(".messages")).to_contain_text("Anyone with this link can watch the video")
    link = page.locator("a[href^='/s/']")
    expect(link).to_have_count(1)
    snap(page, "share-created")

    visitor = new_page()
    visitor.goto(base + link.get_attribute("href"))
    video = visitor.locator("video.player")
    expect(video).to_have_count(1)
    assert video.evaluate(READY_STATE) >= 1
    assert video.evaluate(PLAY)["error"] == 0
    body = visitor.locator("body").inner_text()
    assert "Welcome" in body  # the render's title, as a pasted link previews it
    for secret in ("Acme", "alice", "bob", "Grace", "Timeline"):
        assert secret not in body
    snap(visitor, "shared")

    page.get_by_role("button", name="Revoke").click()
    expect(page.locator(".messages")).to_contain_text("The share link no longer works.")
    expect(page.locator("a[href^='/s/']")).to_have_count(0)
    snap(page, "share-revoked")

    gone = visitor.reload()
    assert gone.status == 410
    expect(visitor).to_have_title("Link no longer available")
    expect(visitor.locator("body")).to_contain_text("This link has expired or was withdrawn.")
    expect(visitor.locator("video")).to_have_count(0)
    snap(visitor, "share-gone")
