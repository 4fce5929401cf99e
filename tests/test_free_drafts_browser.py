"""Free drafts in a real browser: the render form's estimate says "Free draft — $0.00" for the
sandbox (and for "the team's preferred provider" when that is the sandbox), a price for a paid
provider; the credits overview shows the month's drafts beside the money.

Screenshots at 1280 and 390 px: test-artifacts/screenshots/<test>-*.png.
"""

from decimal import Decimal

import pytest
from playwright.sync_api import expect

from avatars import routing
from avatars.models import CreditEntry
from tests.browser import PHONE
from tests.helpers.browser_login import log_in

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("fast_passwords"),
]

FREE = "Free draft — $0.00: Sandbox (free offline draft) renders it offline"


def test_the_render_form_estimate_says_free_draft(
    alice, acme, asset_factory, grace, crun_key, live_server, new_page, shoot
):
    asset_factory.script(acme, "Welcome", "Welcome aboard, {{name}}! We are glad you are here.")
    asset_factory.voice(acme, "Host")
    page = new_page()
    log_in(page, live_server.url, alice, "/studio/render/")
    estimate = page.locator("#estimate")

    page.get_by_label("Avatar", exact=True).select_option(label="Grace")
    page.get_by_label("Script", exact=True).select_option(label="Welcome")
    page.get_by_label("Voice", exact=True).select_option(label="Host")
    page.get_by_label("Variables").fill("name=Ada")
    # Acme names no provider, so its preferred one is the site's default: the sandbox.
    expect(estimate).to_contain_text(FREE)
    page.get_by_label("Provider").select_option(label="Sandbox (free offline draft)")
    expect(estimate).to_contain_text(FREE)
    shoot(page, "free")
    page.set_viewport_size(PHONE)
    shoot(page, "free-phone")
    page.get_by_label("Provider").select_option(label="Crun")
    expect(estimate).to_contain_text("Estimated cost: about $")
    expect(estimate).not_to_contain_text("Free draft")
    page.get_by_label("Provider").select_option(routing.DRAFT_PROVIDER)
    expect(estimate).to_contain_text(FREE)


def test_the_credits_overview_shows_the_months_drafts(
    audrey, alice, acme, asset_factory, live_server, new_page, shoot
):
    paid = asset_factory.job(acme, provider="crun", requested_by=alice)
    CreditEntry.objects.create(
        team=acme, job=paid, user=alice, provider="crun", kind="charge", amount=Decimal("0.42")
    )
    for _ in range(3):
        asset_factory.job(acme, provider=routing.DRAFT_PROVIDER, is_draft=True, requested_by=alice)
    page = new_page()
    log_in(page, live_server.url, audrey, "/credits/")

    card = page.locator(".figure.draft")
    expect(card).to_contain_text("Free drafts")
    expect(card).to_contain_text("$0.00")
    expect(card).to_contain_text("3 drafts requested; nothing held or charged")
    expect(page.locator(".figure.main")).to_contain_text("$0.42")
    shoot(page, "overview")
    page.set_viewport_size(PHONE)
    shoot(page, "overview-phone")
    card.get_by_role("link").click()
    expect(page).to_have_url(f"{live_server.url}/admin/avatars/renderjob/?provider=sandbox")
    expect(page.locator("td.field-cost_shown").first).to_have_text("Free draft — $0.00")
    shoot(page, "drafts-in-admin")
