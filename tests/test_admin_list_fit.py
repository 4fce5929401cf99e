"""The admin's render and script lists fit a 1280 px screen without a sideways scroll, with
the realistic longest values of each column, as the person with the most columns (a
superuser, who also sees the Team column) reads them. On a phone the table scrolls inside its
own box, never the page.
"""

from decimal import Decimal

import pytest
from django.contrib.auth.models import User
from playwright.sync_api import Page

from avatars.models import JobStatus, Script, Team
from avatars.scripts import save_with_revision
from tests.browser import PHONE
from tests.helpers.browser_login import log_in
from tests.helpers.shots import save_shot
from tests.helpers.studio import add_jobs

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

WIDE = {"width": 1280, "height": 900}
# How far the list's table reaches past the box that shows it (which clips it and scrolls),
# past the window, and how far the page itself scrolls sideways, in CSS pixels.
OVERFLOW = """() => {
    const table = document.querySelector('#result_list');
    const box = table.closest('.results');
    return {
        box: table.scrollWidth - box.clientWidth,
        window: table.scrollWidth - window.innerWidth,
        page: document.documentElement.scrollWidth - window.innerWidth,
    };
}"""


@pytest.fixture(autouse=True)
def quick_logins(fast_passwords) -> None:
    """Before any user is made, so their passwords are hashed the quick way."""


@pytest.fixture
def long_rows(asset_factory) -> None:
    for name in ("Demo Marketing", "Northwind Field Sales EMEA"):
        team = Team.objects.create(name=name, slug=name.lower().replace(" ", "-"))
        requester = User.objects.create_user(f"marguerite.{team.slug}")
        avatar = asset_factory.avatar(team, "Eileen Mirror (studio, blue jacket)")
        voice = asset_factory.voice(team, "Friendly US host")
        script = Script(
            team=team,
            title="Spring webinar invite for returning customers",
            text="Hi {{first_name}}, {{company}} is invited to {{event_name}} on {{date}}.",
        )
        for _ in range(3):
            save_with_revision(script, None)
        for status in (JobStatus.SUCCEEDED, JobStatus.AWAITING_APPROVAL, JobStatus.FAILED):
            add_jobs(
                avatar,
                script,
                voice,
                1,
                status=status,
                cost=Decimal("12.3456"),
                duration_seconds=187.5,
                requested_by=requester,
            )


def shoot(page: Page, name: str) -> None:
    save_shot(page, "nav", name)


@pytest.mark.parametrize("listing", ["renderjob", "script"])
def test_the_list_fits_a_1280_px_screen(listing, live_server, new_page, root, long_rows):
    page = new_page(WIDE)
    log_in(page, live_server.url, root, f"/admin/avatars/{listing}/")
    shoot(page, f"admin-{listing}-1280")

    overflow = page.evaluate(OVERFLOW)

    assert overflow["box"] <= 0, f"the {listing} table is {overflow['box']} px too wide"
    assert overflow["window"] <= 0
    assert overflow["page"] <= 0


@pytest.mark.parametrize("listing", ["renderjob", "script"])
def test_on_a_phone_only_the_table_scrolls(listing, live_server, new_page, root, long_rows):
    page = new_page(PHONE)
    log_in(page, live_server.url, root, f"/admin/avatars/{listing}/")
    shoot(page, f"admin-{listing}-390")

    assert page.evaluate(OVERFLOW)["page"] <= 0
