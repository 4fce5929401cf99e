"""The studio's top bar in Chromium, per role: an Auditor is offered no New render but the
credit reports, an Editor New render and Review but no credit reports; every link offered
opens. The error pages as a person sees them. Screenshots at 1280 and 390 px land in
test-artifacts/screenshots/nav/ for a person to look at.
"""

import io

import pytest
from django.contrib.auth.models import User
from django.core.management import call_command
from django.template import loader
from playwright.sync_api import Page, expect

from tests.browser import PHONE
from tests.helpers.browser_login import log_in
from tests.helpers.shots import save_shot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

WIDE = {"width": 1280, "height": 800}


@pytest.fixture(autouse=True)
def quick_logins(fast_passwords) -> None:
    """Before any user is made, so their passwords are hashed the quick way."""


def shoot(page: Page, name: str) -> None:
    save_shot(page, "nav", name)


def nav_labels(page: Page) -> list[str]:
    return page.locator("nav.main-nav a").all_inner_texts()


def signed_in(new_page, live_server, user: User, viewport: dict[str, int]) -> Page:
    page = new_page(viewport)
    log_in(page, live_server.url, user, "/studio/")
    return page


def test_the_auditor_is_offered_credits_and_no_new_render(live_server, new_page, audrey):
    page = signed_in(new_page, live_server, audrey, WIDE)
    shoot(page, "nav-auditor-1280")

    assert nav_labels(page) == ["Avatars", "Scripts", "Renders", "Campaigns", "Credits", "Admin"]
    expect(page.get_by_role("link", name="New render")).to_have_count(0)
    page.get_by_role("navigation", name="Studio").get_by_role("link", name="Credits").click()
    expect(page).to_have_url(f"{live_server.url}/credits/")
    expect(page.get_by_role("heading", name="Credits")).to_be_visible()

    phone = signed_in(new_page, live_server, audrey, PHONE)
    shoot(phone, "nav-auditor-390")
    assert "New render" not in nav_labels(phone)


def test_the_editor_is_offered_new_render_and_review(live_server, new_page, bob):
    page = signed_in(new_page, live_server, bob, WIDE)
    shoot(page, "nav-editor-1280")

    assert nav_labels(page) == [
        "Avatars", "Scripts", "New render", "Renders", "Campaigns", "Review", "Admin",
    ]  # fmt: skip
    nav = page.get_by_role("navigation", name="Studio")
    nav.get_by_role("link", name="New render").click()
    expect(page).to_have_url(f"{live_server.url}/studio/render/")
    expect(nav.get_by_role("link", name="New render")).to_have_attribute("aria-current", "page")
    expect(page.locator("#id_seed_helptext")).to_contain_text("the same seed")
    shoot(page, "new-render-1280")
    nav.get_by_role("link", name="Review").click()
    expect(page).to_have_url(f"{live_server.url}/review/")

    shoot(signed_in(new_page, live_server, bob, PHONE), "nav-editor-390")


@pytest.mark.parametrize("who", ["alice", "root"])
def test_every_link_offered_opens(who, request, live_server, new_page):
    user = request.getfixturevalue(who)
    page = signed_in(new_page, live_server, user, WIDE)
    role = {"alice": "marketing", "root": "admin"}[who]
    shoot(page, f"nav-{role}-1280")

    links = page.locator("nav.main-nav a")
    hrefs = [links.nth(i).get_attribute("href") for i in range(links.count())]
    for href in hrefs:
        response = page.goto(f"{live_server.url}{href}")
        assert response and response.status == 200, href

    shoot(signed_in(new_page, live_server, user, PHONE), f"nav-{role}-390")


def test_the_error_pages_lead_back(live_server, new_page, audrey, settings):
    settings.DEBUG = False
    for viewport, width in ((WIDE, 1280), (PHONE, 390)):
        page = signed_in(new_page, live_server, audrey, viewport)
        response = page.goto(f"{live_server.url}/studio/render/")
        assert response and response.status == 403
        expect(page.get_by_role("heading", name="Not allowed")).to_be_visible()
        shoot(page, f"error-403-{width}")

        response = page.goto(f"{live_server.url}/studio/renders/424242/")
        assert response and response.status == 404
        shoot(page, f"error-404-{width}")
        page.get_by_role("link", name="Back to the studio").click()
        expect(page).to_have_url(f"{live_server.url}/studio/")

        page.set_content(loader.get_template("500.html").render())
        expect(page.get_by_role("heading", name="Something went wrong on our side")).to_be_visible()
        shoot(page, f"error-500-{width}")


def test_the_login_page_in_development(live_server, new_page, settings):
    settings.DEBUG = True
    call_command("seed_demo", stdout=io.StringIO())
    for viewport, width in ((WIDE, 1280), (PHONE, 390)):
        page = new_page(viewport)
        page.goto(f"{live_server.url}/admin/login/")
        hint = page.get_by_role("complementary", name="Demo logins")
        expect(hint).to_contain_text("(admin, maria, eddie, audrey)")
        expect(hint).not_to_contain_text("-demo")
        shoot(page, f"login-{width}")


def test_the_auditor_reads_an_avatars_tags_in_the_admin(
    live_server, new_page, audrey, asset_factory, acme
):
    avatar = asset_factory.avatar(acme, "Tagged")
    avatar.tags.set([asset_factory.tag(acme, "sales"), asset_factory.tag(acme, "EMEA")])
    for viewport, width in ((WIDE, 1280), (PHONE, 390)):
        page = new_page(viewport)
        log_in(page, live_server.url, audrey, f"/admin/avatars/avatar/{avatar.pk}/change/")
        row = page.locator(".field-tag_names")
        expect(row).to_contain_text("sales")
        expect(row).not_to_contain_text("None")
        shoot(page, f"admin-avatar-readonly-{width}")
