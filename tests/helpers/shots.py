"""Screenshots named by what they show (not by test), in a folder of test-artifacts/screenshots/."""

from playwright.sync_api import Page

from tests.browser import SCREENSHOTS


def save_shot(page: Page, folder: str, name: str) -> None:
    """The whole page as `folder/name.png`, for a person to look at."""
    where = SCREENSHOTS / folder
    where.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=where / f"{name}.png", full_page=True)
