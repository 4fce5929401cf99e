"""The avatar admin in a real browser: headless Chromium against a live server.

alice (Marketing in Acme) logs in through the admin login form like anyone would, adds an
avatar, is refused a PDF dressed up as a photo, and reads her avatar list on a phone.
Every page visited is saved to test-artifacts/screenshots/ for a person to look at.
"""

import datetime
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from playwright.sync_api import Locator, Page, expect

from avatars import media
from avatars.library import attach_portrait
from avatars.models import Avatar, ConsentScope, ConsentStatus, Team
from tests.browser import NATURAL_WIDTH, PHONE, log_in
from tests.conftest import stored_files
from tests.files import image_bytes, portrait_bytes

# The live server needs committed rows, so every test ends with a flush (after which the app
# puts its role groups back).
pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
]


def fill_avatar_form(page: Page, portrait: Path, name: str, expires: datetime.date) -> None:
    page.get_by_label("Portrait").set_input_files(portrait)
    page.get_by_label("Name:", exact=True).fill(name)
    page.get_by_label("Person portrayed").fill("Alice Example")
    page.get_by_label("Consent scope").select_option(label="Website and organic social media")
    page.get_by_label("Consent expires").fill(expires.isoformat())


def avatar_row(page: Page, name: str) -> Locator:
    return page.locator("#result_list tbody tr").filter(has_text=name)


def natural_width(image: Locator) -> int:
    image.scroll_into_view_if_needed()
    return image.evaluate(NATURAL_WIDTH)


def a_year_from_now() -> datetime.date:
    return timezone.localdate() + datetime.timedelta(days=365)


def make_avatar(team: Team, name: str, seed: int) -> Avatar:
    prepared = media.prepare_portrait(SimpleUploadedFile("face.jpg", portrait_bytes(seed)))
    avatar = Avatar(
        team=team,
        name=name,
        consent_person=name,
        consent_scope=ConsentScope.ANY,
        consent_expires=a_year_from_now(),
    )
    attach_portrait(avatar, prepared)
    avatar.save()
    return avatar


def test_alice_adds_an_avatar(
    live_server, new_page, shoot, alice, acme, tmp_path, media_root
) -> None:
    portrait = tmp_path / "alice.jpg"
    portrait.write_bytes(portrait_bytes())
    page = new_page()
    log_in(page, live_server.url, alice, shoot)

    page.locator("tr.model-avatar").get_by_role("link", name="Add").click()
    expect(page).to_have_url(f"{live_server.url}/admin/avatars/avatar/add/")
    expect(page.get_by_label("Team")).to_have_value(str(acme.pk))
    expires = a_year_from_now()
    fill_avatar_form(page, portrait, "Alice at the desk", expires)
    shoot(page, "add-filled")
    page.locator("input[name=_save]").click()

    expect(page).to_have_url(f"{live_server.url}/admin/avatars/avatar/")
    expect(page.locator(".messagelist")).to_contain_text("was added successfully")
    row = avatar_row(page, "Alice at the desk")
    expect(row).to_have_count(1)
    expect(row.locator(".badge-ok")).to_have_text("Valid")
    expect(row.locator(".badge-ok")).to_have_attribute(
        "title", f"Consent valid until {expires:%-d %b %Y}"
    )
    assert natural_width(row.locator("img.thumb")) > 0
    shoot(page, "changelist")
    avatar = Avatar.objects.get()
    assert (avatar.team, avatar.created_by) == (acme, alice)
    assert avatar.consent_status() == ConsentStatus.VALID
    assert len(stored_files(media_root)) == 3


def test_a_pdf_named_jpg_is_refused(
    live_server, new_page, shoot, alice, tmp_path, media_root
) -> None:
    brochure = tmp_path / "brochure.jpg"
    brochure.write_bytes(image_bytes(fmt="PDF"))
    assert brochure.read_bytes().startswith(b"%PDF")
    page = new_page()
    log_in(page, live_server.url, alice, shoot)

    page.goto(f"{live_server.url}/admin/avatars/avatar/add/")
    fill_avatar_form(page, brochure, "Not a face", a_year_from_now())
    shoot(page, "add-filled")
    page.locator("input[name=_save]").click()

    expect(page).to_have_url(f"{live_server.url}/admin/avatars/avatar/add/")
    shoot(page, "refused")
    expect(page.locator(".errornote")).to_be_visible()
    expect(page.locator(".field-portrait .errorlist")).to_contain_text("PDF")
    assert not Avatar.objects.exists()
    assert stored_files(media_root) == []


def test_the_avatar_list_fits_a_phone(live_server, new_page, shoot, alice, acme) -> None:
    make_avatar(acme, "Grace", seed=1)
    make_avatar(acme, "Eileen", seed=2)
    page = new_page(viewport=PHONE)
    log_in(page, live_server.url, alice, shoot)

    page.goto(f"{live_server.url}/admin/avatars/avatar/")
    for name in ("Eileen", "Grace"):
        thumbnail = avatar_row(page, name).locator("img.thumb")
        expect(thumbnail).to_be_visible()
        # Measured before natural_width() scrolls it into view, sideways too if it must.
        box = thumbnail.bounding_box()
        assert box is not None
        assert box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"], box
        assert natural_width(thumbnail) > 0
        expect(avatar_row(page, name).locator(".badge-ok")).to_have_text("Valid")
    page.evaluate("window.scrollTo(0, 0)")
    shoot(page, "changelist")
