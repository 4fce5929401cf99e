"""Headless Chromium against the live server, shared by the browser tests.

Screenshots of every step land in test-artifacts/screenshots/ for a person to look at.
"""

import os
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from django.contrib.auth.models import User
from django.db import connections
from playwright.sync_api import Browser, Page, expect, sync_playwright

from tests.conftest import PASSWORD

CHROMIUM = ["/usr/lib/chromium/chromium", "/usr/bin/chromium"]
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
SCREENSHOTS = Path(__file__).resolve().parent.parent / "test-artifacts" / "screenshots"
PHONE = {"width": 390, "height": 844}

# Resolves with the image's natural width once it has loaded or failed (0 when it failed).
NATURAL_WIDTH = """img => img.complete ? img.naturalWidth : new Promise(resolve => {
    img.addEventListener("load", () => resolve(img.naturalWidth));
    img.addEventListener("error", () => resolve(0));
})"""

Shoot = Callable[[Page, str], None]


@pytest.fixture
def browser(transactional_db: None, monkeypatch: pytest.MonkeyPatch) -> Iterator[Browser]:
    """Headless Chromium, started after the test database is set up and stopped before it
    is flushed: while Playwright's event loop runs in this thread, Django hands the thread
    other connection objects than the ones pytest-django prepared."""
    executable = next((path for path in CHROMIUM if os.access(path, os.X_OK)), None)
    if executable is None:
        if os.environ.get("CI"):
            pytest.fail(
                "Chromium is missing (apt-get install chromium); CI must run browser tests."
            )
        pytest.skip("apt-get install chromium")
    # The running event loop also makes Django refuse ORM calls from the test thread.
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        yield browser
        browser.close()
        connections.close_all()


@pytest.fixture
def new_page(browser: Browser) -> Iterator[Callable[..., Page]]:
    contexts = []

    def make(viewport: dict[str, int] | None = None) -> Page:
        context = browser.new_context(viewport=viewport or {"width": 1280, "height": 900})
        context.set_default_timeout(10_000)
        contexts.append(context)
        return context.new_page()

    yield make
    for context in contexts:
        context.close()


@pytest.fixture
def shoot(request: pytest.FixtureRequest) -> Shoot:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    test = request.node.name.removeprefix("test_")

    def take(page: Page, step: str) -> None:
        page.screenshot(path=SCREENSHOTS / f"{test}-{step}.png", full_page=True)

    return take


def log_in(page: Page, base_url: str, user: User, shoot: Shoot) -> None:
    page.goto(f"{base_url}/admin/login/?next=/admin/")
    shoot(page, "login")
    page.get_by_label("Username").fill(user.username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page).to_have_url(f"{base_url}/admin/")
    shoot(page, "index")
