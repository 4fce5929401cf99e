"""Crun's balance on the reconciliation page: read on Provider health, kept with its time.

audrey (Auditor) reads the reconciliation page; root (superuser) also opens Provider health,
which asks Crun and keeps the answer. No page load of the reconciliation page asks Crun.
"""

import datetime
import re
from decimal import Decimal
from unittest import mock

import pytest
from django.core.cache import cache
from django.utils import timezone

from avatars import crun_balance
from avatars.providers.base import AuthError
from avatars.providers.crun import CrunProvider

pytestmark = pytest.mark.django_db

RECONCILIATION = "/credits/reconciliation/"
HEALTH = "/admin/avatars/providercall/"
KEY = "crun-secret-key"


@pytest.fixture(autouse=True)
def nothing_kept():
    cache.delete(crun_balance.KEY)
    yield
    cache.delete(crun_balance.KEY)


@pytest.fixture
def crun(settings, monkeypatch):
    """Crun configured, its balance call answered by `crun.answer` and counted."""

    class Crun:
        answer: object = Decimal("1234.5")
        calls = 0

    def balance(self: CrunProvider) -> Decimal:
        Crun.calls += 1
        if isinstance(Crun.answer, Exception):
            raise Crun.answer
        return Crun.answer

    settings.CRUN_API_KEY = KEY
    monkeypatch.setattr(CrunProvider, "balance", balance)
    return Crun


def at(when: datetime.datetime):
    return mock.patch("django.utils.timezone.now", return_value=when)


def test_it_says_when_crun_is_not_configured(audrey, login, settings):
    settings.CRUN_API_KEY = ""
    html = login(audrey).get(RECONCILIATION).content.decode()
    assert "Crun is not configured" in html


def test_the_reconciliation_page_never_asks_crun(audrey, root, login, crun):
    auditors = login(audrey).get(RECONCILIATION)
    admins = login(root).get(RECONCILIATION)

    assert auditors.status_code == admins.status_code == 200
    assert crun.calls == 0
    assert "Not read yet." in auditors.content.decode()
    assert "an administrator opens Provider health" in auditors.content.decode()
    assert f'<a href="{HEALTH}">Provider health</a> reads it again' in admins.content.decode()


def test_provider_health_reads_it_and_reconciliation_shows_it_with_its_age(
    audrey, root, login, crun
):
    with at(timezone.now() - datetime.timedelta(minutes=3)):
        assert login(root).get(HEALTH).status_code == 200
    html = login(audrey).get(RECONCILIATION).content.decode()

    assert crun.calls == 1
    assert "$1,234.50" in html
    assert re.search(r"as of 3\s+minutes ago", html)  # timesince joins them with a no-break space


def test_a_reading_just_taken_is_a_moment_old(audrey, root, login, crun):
    login(root).get(HEALTH)

    assert "as of a moment ago" in login(audrey).get(RECONCILIATION).content.decode()


def test_reloading_provider_health_within_a_minute_asks_crun_once(root, login, crun):
    client = login(root)
    client.get(HEALTH)
    client.get(HEALTH)
    assert crun.calls == 1

    with at(timezone.now() + crun_balance.FRESH_FOR + datetime.timedelta(seconds=1)):
        client.get(HEALTH)
    assert crun.calls == 2


def test_test_connection_reads_it_again(audrey, root, login, crun):
    client = login(root)
    client.get(HEALTH)
    crun.answer = Decimal("20")

    client.post(f"{HEALTH}check/crun/")

    assert crun.calls == 3  # the page's read, then the check's own call and the re-read
    assert "$20.00" in login(audrey).get(RECONCILIATION).content.decode()


def test_the_error_is_shown_never_the_key(audrey, root, login, crun):
    crun.answer = AuthError("Crun refused our API key. An administrator needs to check it.")

    assert login(root).get(HEALTH).status_code == 200
    response = login(audrey).get(RECONCILIATION)

    html = response.content.decode()
    assert response.status_code == 200
    assert "The balance could not be fetched: Crun refused our API key." in html
    assert KEY not in html
    assert "Traceback" not in html


def test_an_adapter_fault_breaks_no_page(audrey, root, login, crun):
    crun.answer = RuntimeError("the adapter fell over")

    assert login(root).get(HEALTH).status_code == 200
    response = login(audrey).get(RECONCILIATION)

    assert response.status_code == 200
    assert "Crun&#x27;s balance could not be fetched just now." in response.content.decode()
    assert "fell over" not in response.content.decode()


def test_a_cache_that_fails_breaks_no_page(audrey, root, login, crun, monkeypatch):
    def down(*args: object, **kwargs: object) -> None:
        raise ConnectionError("the cache server is down")

    monkeypatch.setattr(crun_balance.cache, "get", down)
    monkeypatch.setattr(crun_balance.cache, "set", down)

    assert login(root).get(HEALTH).status_code == 200
    response = login(audrey).get(RECONCILIATION)

    assert response.status_code == 200
    html = response.content.decode()
    assert "its last reading could not be looked up just now" in html
    assert "the cache server is down" not in html
