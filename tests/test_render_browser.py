"""A render requested in the admin, watched to the end and played, in a real browser."""

import pytest
from playwright.sync_api import expect

from avatars.models import JobStatus, RenderJob
from tests.browser import log_in

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
]

# Resolves with the video's duration once its metadata has loaded, or -1 on an error.
VIDEO_DURATION = """video => video.readyState >= 1 ? video.duration : new Promise(resolve => {
    video.addEventListener("loadedmetadata", () => resolve(video.duration));
    video.addEventListener("error", () => resolve(-1));
})"""


def test_a_marketer_renders_from_the_admin_and_plays_the_video(
    alice, acme, asset_factory, sandbox, embedded_worker, live_server, new_page, shoot
):
    asset_factory.consenting_avatar(acme, "Grace")
    asset_factory.script(acme, "Welcome", "Welcome aboard, {{name}}! We are glad you are here.")
    asset_factory.voice(acme, "Host")
    page = new_page()
    log_in(page, live_server.url, alice, shoot)

    page.goto(f"{live_server.url}/admin/avatars/renderjob/add/")
    page.get_by_label("Avatar").select_option(label="Grace")
    page.get_by_label("Script").select_option(label="Welcome")
    page.get_by_label("Voice").select_option(label="Host")
    page.get_by_label("Variables").fill("name=Ada")
    # The team's preferred provider is the site's default, the sandbox: a free draft.
    expect(page.locator("#estimate")).to_contain_text("Free draft — $0.00")
    shoot(page, "request")
    page.get_by_role("button", name="Render").click()
    expect(page.locator(".messagelist")).to_contain_text("is a free draft")
    shoot(page, "queued")

    # The page refreshes by itself until the video is there.
    expect(page.locator("video.player")).to_be_visible(timeout=60_000)
    job = RenderJob.objects.get()
    assert job.status == JobStatus.SUCCEEDED
    duration = page.locator("video.player").evaluate(VIDEO_DURATION)
    assert abs(duration - job.duration_seconds) < 0.1
    page.locator("video.player").evaluate("video => { video.currentTime = 1; }")
    expect(page.locator("table.timeline")).to_contain_text("storing → succeeded")
    shoot(page, "succeeded")
