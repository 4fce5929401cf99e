"""Players seek, in Chromium: on a render's page and on its share page the video jumps to its
middle, its seekable range covers it all, and the bytes came as 206 Partial Content. The
share page also shows its captions and copies its link; once revoked, its video is gone."""

from pathlib import Path

import pytest
from django.contrib.auth.models import User
from playwright.sync_api import Page, Response, expect

from avatars import review
from avatars.models import RenderJob
from tests.browser import PHONE
from tests.helpers.browser_login import log_in
from tests.helpers.shares import approved_render, shared

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# The share page's screenshots, for a person to look at.
SHOTS = Path("/work/shots/media")
SECONDS = 4.0

# Seeks the video to its middle once its metadata is there; resolves when the seek is done.
SEEK_TO_THE_MIDDLE = """async video => {
    if (video.readyState < 1) {
        await new Promise((resolve, reject) => {
            video.addEventListener("loadedmetadata", resolve, {once: true});
            video.addEventListener("error", () => reject(new Error("no metadata")), {once: true});
        });
    }
    const middle = video.duration / 2;
    await new Promise(resolve => {
        video.addEventListener("seeked", resolve, {once: true});
        video.currentTime = middle;
    });
    return {
        duration: video.duration,
        middle: middle,
        current: video.currentTime,
        seekable: Array.from({length: video.seekable.length},
                             (_, i) => [video.seekable.start(i), video.seekable.end(i)]),
    };
}"""

# Resolves with the text of the first captions track's cues once they have loaded.
CAPTION_CUES = """video => new Promise((resolve, reject) => {
    const element = video.querySelector("track");
    const cues = () => Array.from(element.track.cues, cue => cue.text);
    if (element.readyState === 2) { resolve(cues()); return; }
    element.addEventListener("load", () => resolve(cues()), {once: true});
    element.addEventListener("error", () => reject(new Error("captions did not load")));
})"""


@pytest.fixture
def job(acme, asset_factory) -> RenderJob:
    return approved_render(asset_factory, acme, seconds=SECONDS, size=(640, 360))


def media_statuses(page: Page) -> list[int]:
    """The statuses of the video's responses, as they come."""
    seen: list[int] = []

    def note(response: Response) -> None:
        if response.request.resource_type == "media":
            seen.append(response.status)

    page.on("response", note)
    return seen


def assert_seeks_to_the_middle(page: Page, seen: list[int]) -> None:
    state = page.locator("video.player").evaluate(SEEK_TO_THE_MIDDLE)

    assert abs(state["duration"] - SECONDS) < 0.1
    assert abs(state["current"] - state["middle"]) < 0.05
    assert state["current"] > 1.0
    [(start, end)] = state["seekable"]
    assert start == 0 and abs(end - state["duration"]) < 0.05
    assert 206 in seen and not [status for status in seen if status >= 400]


def test_the_video_on_a_renders_page_seeks_to_its_middle(
    fast_passwords, alice: User, job: RenderJob, live_server, new_page
):
    page = new_page()
    seen = media_statuses(page)
    log_in(page, live_server.url, alice, f"/studio/renders/{job.pk}/")

    assert_seeks_to_the_middle(page, seen)


def test_a_share_page_seeks_shows_captions_copies_its_link_and_goes_when_revoked(
    bob: User, job: RenderJob, live_server, new_page
):
    link = shared(job, bob)
    url = f"{live_server.url}/s/{link.token}/"
    page = new_page()
    page.context.grant_permissions(["clipboard-read", "clipboard-write"])
    seen = media_statuses(page)

    page.goto(url)

    expect(page).to_have_title("Spring webinar invite")
    assert_seeks_to_the_middle(page, seen)
    cues = page.locator("video.player").evaluate(CAPTION_CUES)
    assert "Welcome aboard, Ada." in " ".join(cues)
    page.get_by_role("button", name="Copy link").click()
    expect(page.get_by_role("status")).to_have_text("Copied.")
    assert page.evaluate("navigator.clipboard.readText()") == url
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=SHOTS / "share-page-1280.png", full_page=True)
    video_url = page.locator("video.player").get_attribute("src")
    assert video_url

    review.revoke(link, bob)

    assert page.request.get(f"{live_server.url}{video_url}").status == 410
    assert page.request.get(url).status == 410
    page.reload()
    expect(page.get_by_text("This link has expired or was withdrawn.")).to_be_visible()
    page.screenshot(path=SHOTS / "share-gone-1280.png", full_page=True)


def test_a_share_page_fits_a_phone(bob: User, job: RenderJob, live_server, new_page):
    link = shared(job, bob)
    page = new_page(PHONE)

    page.goto(f"{live_server.url}/s/{link.token}/")

    expect(page.get_by_role("button", name="Copy link")).to_be_visible()
    # Metadata in and loading suspended (preload="metadata"): the poster is what shows.
    page.wait_for_function(
        "(video => video.readyState >= 1 && video.networkState === video.NETWORK_IDLE)"
        "(document.querySelector('video.player'))"
    )
    widths = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
    assert widths[0] <= widths[1], widths
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=SHOTS / "share-page-390.png", full_page=True)
