"""The review desk in a real browser: bob (Editor) tells three renders of one script apart by
their variable values, is told by the comment box that asking for changes needs a comment,
approves one, and the decision form folds away behind "Change the decision".

Screenshots (1280 and 390 wide) land in test-artifacts/screenshots/review-desk-*.
"""

import pytest
from django.core.files.base import ContentFile
from django.utils import timezone
from playwright.sync_api import Page, expect

from avatars.models import ReviewStatus
from tests.browser import PHONE, SCREENSHOTS
from tests.files import mp4_bytes, portrait_bytes
from tests.helpers.browser_login import log_in
from tests.helpers.studio import add_jobs, consented

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("fast_passwords"),
]


def snap(page: Page, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=SCREENSHOTS / f"review-desk-{name}.png", full_page=True)
    desktop = page.viewport_size
    page.set_viewport_size(PHONE)
    page.screenshot(path=SCREENSHOTS / f"review-desk-{name}-phone.png", full_page=True)
    page.set_viewport_size(desktop)


def test_an_editor_tells_renders_apart_and_decides_on_one(
    alice, bob, acme, asset_factory, live_server, new_page
):
    avatar = consented(asset_factory, acme, "Eileen Mirror")
    script = asset_factory.script(acme, "Spring webinar invite", "Hi {{name}}, join us!")
    voice = asset_factory.voice(acme)
    people = ["Maria", "Jonas", "Ada"]
    jobs = []
    for n, name in enumerate(people):
        [job] = add_jobs(
            avatar,
            script,
            voice,
            1,
            requested_by=alice,
            variables={"name": name},
            finished_at=timezone.now(),
            duration_seconds=1.0,
            width=1280,
            height=720,
        )
        job.text = f"Hi {name}, join us!"
        job.video.save("video.mp4", ContentFile(mp4_bytes()), save=False)
        job.poster.save("poster.jpg", ContentFile(portrait_bytes(seed=n, size=(160, 90))))
        jobs.append(job)
    page = new_page()
    log_in(page, live_server.url, bob, "/review/")

    rows = page.locator("table.list tbody tr")
    expect(rows).to_have_count(3)
    for row, name in zip(rows.all(), people, strict=True):
        expect(row.locator(".variables")).to_have_text(f"name={name}")
    snap(page, "queue")

    page.get_by_role("link", name=f"#{jobs[0].pk}").click()
    expect(page.locator("dd.variables")).to_have_text("name=Maria")
    page.get_by_role("button", name="Request changes").click()
    box = page.locator(".field-comment")
    expect(box.locator(".errorlist")).to_have_text("Say what should change, or why it is rejected.")
    expect(page.get_by_label("Comment", exact=True)).to_have_attribute("aria-invalid", "true")
    expect(page.locator(".messages")).to_have_count(0)
    snap(page, "comment-needed")

    page.get_by_role("button", name="Approve", exact=True).click()
    expect(page.locator(".messages")).to_contain_text(f"Render #{jobs[0].pk}: approved.")
    review = page.locator("#review")
    expect(review).to_contain_text("Approved by bob")
    expect(review.get_by_role("button", name="Approve", exact=True)).to_be_hidden()
    snap(page, "decided")
    review.get_by_text("Change the decision").click()
    expect(review.get_by_role("button", name="Reject")).to_be_visible()
    jobs[0].refresh_from_db()
    assert jobs[0].review == ReviewStatus.APPROVED
