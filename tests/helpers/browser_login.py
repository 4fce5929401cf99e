"""Logging in through the admin's login page, in a real browser."""

from __future__ import annotations

from collections.abc import Callable

from django.contrib.auth.models import User
from playwright.sync_api import Page, expect

from tests.conftest import PASSWORD


def log_in(
    page: Page, base_url: str, user: User, then: str, before: Callable[[Page], None] | None = None
) -> None:
    """Log `user` in and land on `then`; `before` sees the login page first."""
    page.goto(f"{base_url}/admin/login/?next={then}")
    if before:
        before(page)
    page.get_by_label("Username").fill(user.username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page).to_have_url(f"{base_url}{then}")
