"""An avatar's page in a real browser: alice (Marketing) records the person's consent with
its signed release, and bob (Editor) records that Grace withdrew hers, which cancels her
pending render, revokes her share links at once and lands in the audit log audrey reads.

The page is kept at 1280 and 390 px wide as /work/shots/avatars/avatar-*.png (and in
test-artifacts/screenshots/) for a person to look at.
"""

import datetime
from pathlib import Path

import pytest
from django.core.files.base import ContentFile
from django.utils import timezone
from playwright.sync_api import Page, expect

from avatars.models import AuditEntry, Avatar, JobStatus, RenderJob, ShareLink
from tests.browser import PHONE, SCREENSHOTS
from tests.files import mp4_bytes
from tests.helpers.browser_login import log_in
from tests.helpers.studio import add_jobs, consented

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("fast_passwords"),
]

SHOTS = Path("/work/shots/avatars")
PDF = b"%PDF-1.4\n1 0 obj << >> endobj\ntrailer << >>\n%%EOF\n"


def snap(page: Page, name: str) -> None:
    """The whole page at 1280 and at 390 px wide."""
    desktop = page.viewport_size
    for folder in (SCREENSHOTS, SHOTS):
        folder.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=folder / f"avatar-{name}.png", full_page=True)
    page.set_viewport_size(PHONE)
    for folder in (SCREENSHOTS, SHOTS):
        page.screenshot(path=folder / f"avatar-{name}-phone.png", full_page=True)
    page.set_viewport_size(desktop)


@pytest.fixture
def grace(acme, asset_factory) -> Avatar:
    return consented(asset_factory, acme, "Grace", consent_person="Grace Hopper")


def shared_render(grace: Avatar, asset_factory, bob) -> tuple[RenderJob, list[ShareLink]]:
    """An approved render of Grace with a stored video and two live share links."""
    script = asset_factory.script(grace.team, "Welcome", "Welcome aboard.")
    (job,) = add_jobs(grace, script, asset_factory.voice(grace.team), 1, review="approved")
    job.video.save("video.mp4", ContentFile(mp4_bytes(seconds=1.0)))
    expires = timezone.now() + datetime.timedelta(days=7)
    links = [ShareLink.objects.create(job=job, created_by=bob, expires_at=expires) for _ in "ab"]
    return job, links


def test_a_marketer_edits_an_avatars_consent_with_its_signed_release(
    alice, grace, live_server, new_page, tmp_path
):
    base = live_server.url
    page = new_page()
    log_in(page, base, alice, "/studio/")
    page.get_by_role("link", name="Grace", exact=True).click()
    expect(page).to_have_url(f"{base}/studio/avatars/{grace.pk}/")
    expect(page.locator("#consent")).to_contain_text("Consent valid until")

    page.get_by_role("link", name="Edit consent").click()
    release = tmp_path / "release.pdf"
    release.write_bytes(PDF)
    expires = timezone.localdate() + datetime.timedelta(days=400)
    page.get_by_label("Person portrayed").fill("Grace Brewster Hopper")
    page.get_by_label("Consent scope").select_option(label="Website and organic social media")
    page.get_by_label("Consent expires").fill(expires.isoformat())
    page.get_by_label("Reference").fill("Release 2027-01")
    page.get_by_label("Signed release").set_input_files(release)
    snap(page, "consent-form")
    page.get_by_role("button", name="Save consent").click()

    expect(page).to_have_url(f"{base}/studio/avatars/{grace.pk}/")
    expect(page.locator(".messages")).to_contain_text(
        f"Consent for “Grace” saved: Consent valid until {expires:%-d %b %Y}."
    )
    consent = page.locator("#consent")
    expect(consent).to_contain_text("Grace Brewster Hopper")
    expect(consent).to_contain_text("Website and organic social media")
    link = consent.get_by_role("link", name="Download the signed release")
    download = page.request.get(f"{base}{link.get_attribute('href')}")
    assert download.status == 200 and download.body() == PDF
    assert download.headers["content-disposition"].startswith("attachment")
    snap(page, "page")
    grace.refresh_from_db()
    assert grace.consent_person == "Grace Brewster Hopper"
    assert AuditEntry.objects.filter(action=AuditEntry.Action.CONSENT_CHANGED).count() == 1


def test_an_editor_records_that_consent_was_withdrawn(
    bob, audrey, grace, asset_factory, live_server, new_page
):
    base = live_server.url
    _, links = shared_render(grace, asset_factory, bob)
    pending = asset_factory.job(grace.team, "queued", avatar=grace, requested_by=bob)
    visitor = new_page()
    assert visitor.goto(f"{base}/s/{links[0].token}/").status == 200
    page = new_page()
    log_in(page, base, bob, f"/studio/avatars/{grace.pk}/")
    expect(page.locator("#avatar-links li")).to_have_count(2)
    expect(page.locator("#avatar-renders")).to_contain_text(f"#{pending.pk}")
    snap(page, "withdraw-before")

    page.get_by_role("button", name="Record the withdrawal").click()
    # The browser holds the form back until the box is ticked.
    expect(page).to_have_url(f"{base}/studio/avatars/{grace.pk}/")
    assert Avatar.objects.get(pk=grace.pk).consent_withdrawn_at is None
    page.get_by_label("Yes, Grace Hopper withdrew their consent").check()
    page.get_by_role("button", name="Record the withdrawal").click()

    summary = "Canceled 1 pending render, revoked 2 share links."
    expect(page.locator(".messages")).to_contain_text(
        f"Consent for “Grace” is withdrawn. {summary}"
    )
    expect(page.locator(".badge-bad").first).to_have_text("Withdrawn")
    expect(page.locator("#avatar-links li")).to_have_count(0)
    expect(page.get_by_role("button", name="Record the withdrawal")).to_have_count(0)
    snap(page, "withdrawn")
    pending.refresh_from_db()
    assert pending.status == JobStatus.CANCELED
    for link in links:
        assert visitor.goto(f"{base}/s/{link.token}/").status == 410
    expect(visitor.locator("main")).to_contain_text("This link has expired or was withdrawn.")

    auditor = new_page()
    log_in(auditor, base, audrey, "/credits/audit/")
    row = auditor.locator("tr", has_text="Consent withdrawn")
    expect(row).to_contain_text(f"Grace (avatar #{grace.pk}): consent withdrawn. {summary}")
    expect(row).to_contain_text("bob")


def test_a_withdrawn_share_links_media_stops_at_once(
    bob, grace, asset_factory, live_server, new_page
):
    from avatars import consent

    base = live_server.url
    _, links = shared_render(grace, asset_factory, bob)
    visitor = new_page()
    visitor.goto(f"{base}/s/{links[0].token}/")
    media = visitor.locator("video.player").get_attribute("src")
    assert visitor.request.get(f"{base}{media}").status == 200

    consent.withdraw(grace, bob)

    assert visitor.request.get(f"{base}{media}").status in (403, 410)


def test_the_render_form_greys_out_an_avatar_without_consent_and_links_its_page(
    alice, grace, acme, asset_factory, live_server, new_page
):
    base = live_server.url
    eileen = asset_factory.avatar(
        acme, "Eileen", consent_person="Eileen", consent_scope="any",
        consent_expires=datetime.date(2025, 1, 31),
    )  # fmt: skip
    page = new_page()
    log_in(page, base, alice, "/studio/render/")

    option = page.locator(f'#id_avatar option[value="{eileen.pk}"]')
    expect(option).to_be_disabled()
    expect(option).to_have_text("Eileen (consent expired on 31 Jan 2025)")
    expect(page.locator(f'#id_avatar option[value="{grace.pk}"]')).to_be_enabled()
    snap(page, "new-render")
    page.locator(".field-avatar .help").get_by_role("link", name="Eileen").click()
    expect(page).to_have_url(f"{base}/studio/avatars/{eileen.pk}/")
    expect(page.locator("#consent")).to_contain_text("Consent expired on 31 Jan 2025.")
