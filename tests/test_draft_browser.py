"""A draft preview in a real browser: requested from the new-render page, played with captions
by Chromium (its duration and a decoded frame read back), then sent on to be rendered for real
(by the fake Crun: the draft provider itself is free, so a draft is never sent on to it).

Screenshots: test-artifacts/screenshots/draft-*.png.
"""

from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from avatars import captions
from avatars.models import RenderJob
from tests.browser import PHONE, SCREENSHOTS
from tests.helpers.browser_login import log_in
from tests.helpers.jobs import wait_for

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("fast_passwords"),
]

# Resolves with what the browser made of the video: its length, its size and the pixels of one
# frame drawn onto a canvas (their spread tells a picture from a blank), and the captions track.
READ_VIDEO = """async video => {
    if (video.readyState < 2) {
        await new Promise((resolve, reject) => {
            video.addEventListener("loadeddata", resolve, { once: true });
            video.addEventListener("error", () => reject(new Error("video error")), { once: true });
        });
    }
    await new Promise(resolve => {
        video.addEventListener("seeked", resolve, { once: true });
        video.currentTime = 1.0;
    });
    const canvas = document.createElement("canvas");
    canvas.width = video.videoWidth;
    canvas.height = video.videoHeight;
    const context = canvas.getContext("2d");
    context.drawImage(video, 0, 0);
    const pixels = context.getImageData(0, 0, canvas.width, canvas.height).data;
    let sum = 0, squares = 0, count = 0;
    for (let i = 0; i < pixels.length; i += 4 * 97) {
        const grey = (pixels[i] + pixels[i + 1] + pixels[i + 2]) / 3;
        sum += grey; squares += grey * grey; count += 1;
    }
    const mean = sum / count;
    const track = video.textTracks[0];
    track.mode = "showing";
    for (let i = 0; i < 50 && (!track.cues || track.cues.length === 0); i++) {
        await new Promise(resolve => setTimeout(resolve, 100));
    }
    return {
        duration: video.duration,
        width: video.videoWidth,
        height: video.videoHeight,
        spread: Math.sqrt(squares / count - mean * mean),
        cues: Array.from(track.cues || []).map(c => [c.startTime, c.endTime, c.text]),
    };
}"""


def snap(page: Page, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=SCREENSHOTS / f"draft-{name}.png", full_page=True)


def test_a_draft_plays_with_captions_and_is_sent_on(
    alice,
    acme,
    asset_factory,
    grace,
    sandbox,
    fake_crun,
    embedded_worker,
    live_server,
    new_page,
):
    asset_factory.script(acme, "Welcome", "Welcome aboard, {{name}}! We are glad you are here.")
    asset_factory.voice(acme, "Host")
    base = live_server.url
    page = new_page()
    log_in(page, base, alice, "/studio/render/")

    page.get_by_label("Avatar", exact=True).select_option(label="Grace")
    page.get_by_label("Script", exact=True).select_option(label="Welcome")
    page.get_by_label("Voice", exact=True).select_option(label="Host")
    page.get_by_label("Variables").fill("name=Ada")
    snap(page, "new-render")
    page.get_by_role("button", name="Draft preview (free)").click()

    draft = wait_for(RenderJob.objects.get(is_draft=True))
    expect(page.locator("video#player")).to_be_visible(timeout=30_000)
    seen = page.locator("video#player").evaluate(READ_VIDEO)
    stored = captions.parse_webvtt(draft.captions.read().decode())

    assert abs(seen["duration"] - draft.duration_seconds) < 0.1
    assert (seen["width"], seen["height"]) == (1280, 720)
    assert seen["spread"] > 20  # a picture, not a blank frame
    assert [(round(a, 2), round(b, 2), t) for a, b, t in seen["cues"]] == [
        (round(c.start, 2), round(c.end, 2), c.text) for c in stored
    ]
    assert seen["cues"][0][2].startswith("Welcome aboard, Ada!")
    page.wait_for_timeout(300)
    snap(page, "job")
    page.set_viewport_size(PHONE)
    snap(page, "job-phone")
    page.set_viewport_size({"width": 1280, "height": 900})

    page.get_by_role("button", name="Render it for real").click()
    paid = wait_for(RenderJob.objects.get(is_draft=False))
    expect(page.get_by_role("heading", name="The draft it came from")).to_be_visible()
    assert paid.draft_id == draft.pk
    expect(page.locator("video#player")).to_be_visible(timeout=30_000)
    snap(page, "sent-on")
    assert Path(SCREENSHOTS / "draft-sent-on.png").exists()
