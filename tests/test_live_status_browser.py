"""A render's page follows it live, in a real browser: alice (Marketing) watches a render at a
fake Crun that holds it at each step until the test lets it go on. The header badge, the
panel, the bar (and its ARIA values) and the timeline change together, without a reload,
until the job is done; then the page loads once more, with the player.

Mid-render screenshots (1280 and 390 wide) land in test-artifacts/screenshots/live-status-*.
"""

import threading

import pytest
from playwright.sync_api import Page, expect

from avatars.models import JobStatus
from tests.browser import PHONE, SCREENSHOTS
from tests.helpers.browser_login import log_in
from tests.helpers.jobs import request_speech, wait_for

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("fast_passwords"),
]

# The bar's value as assistive technology reads it.
VALUE_NOW = "bar => Number(bar.getAttribute('aria-valuenow'))"
# Set on the document the test opened: a reload would forget it.
MARK = "() => { window.sameDocument = true; }"
SAME_DOCUMENT = "() => window.sameDocument === true"


@pytest.fixture
def worker_timeout() -> int:
    """Wake idle worker threads often: polls are honoured to 0.1 s and teardown is quick."""
    return 100


def snap(page: Page, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=SCREENSHOTS / f"live-status-{name}.png", full_page=True)
    desktop = page.viewport_size
    page.set_viewport_size(PHONE)
    page.screenshot(path=SCREENSHOTS / f"live-status-{name}-phone.png", full_page=True)
    page.set_viewport_size(desktop)


def test_the_badge_bar_and_timeline_follow_a_render_without_a_reload(
    alice, acme, asset_factory, fake_crun, embedded_worker, live_server, new_page
):
    started, finished = threading.Event(), threading.Event()
    fake_crun.configure(hold_start=started, hold_end=finished)
    job = request_speech(asset_factory, acme, provider="crun", user=alice)
    wait_for(job, lambda j: j.status == JobStatus.SUBMITTED)
    page = new_page()
    url = f"/studio/renders/{job.pk}/"
    log_in(page, live_server.url, alice, url)
    page.evaluate(MARK)

    header, panel = page.locator("#status-badge"), page.locator("#live [data-live='badge']")
    bar, timeline = page.get_by_role("progressbar"), page.locator("#timeline")
    expect(header).to_have_text("Submitted")
    expect(panel).to_have_text("Submitted")
    expect(page.locator("#live")).to_contain_text("Crun has it and will start soon")
    expect(bar).to_have_attribute("aria-valuemin", "0")
    expect(bar).to_have_attribute("aria-valuemax", "100")
    expect(timeline).not_to_contain_text("→ processing")

    started.set()
    expect(header).to_have_text("Processing", timeout=15_000)
    expect(panel).to_have_text("Processing")
    expect(page.locator("#live")).to_contain_text("Crun is rendering it; about")
    expect(timeline).to_contain_text("submitted → processing")
    first = bar.evaluate(VALUE_NOW)
    page.wait_for_function(
        "([bar, before]) => Number(bar.getAttribute('aria-valuenow')) > before",
        arg=[bar.element_handle(), first],
        timeout=15_000,
    )
    moved = bar.evaluate(VALUE_NOW)
    assert 10 <= first < moved < 100
    assert f"{moved} %: Crun is rendering it" in bar.get_attribute("aria-valuetext")
    width = bar.locator("span").evaluate("span => span.style.width")
    assert width == f"{moved}%"
    assert page.evaluate(SAME_DOCUMENT), "the page reloaded"
    snap(page, "rendering")

    finished.set()
    expect(page.locator("video.player")).to_be_visible(timeout=30_000)
    job = wait_for(job)
    assert job.status == JobStatus.SUCCEEDED, job.error_message
    expect(header).to_have_text("Succeeded")
    expect(timeline).to_contain_text("storing → succeeded")
    expect(page.get_by_role("progressbar")).to_have_count(0)
