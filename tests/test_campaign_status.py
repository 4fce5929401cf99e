"""The progress a campaign's page polls (studio:campaign_status).

Who does what (tests/conftest.py): alice (Marketing, Acme) creates the campaign and polls it.
"""

import pytest
from django.urls import reverse

from tests.helpers.campaigns import campaign

pytestmark = pytest.mark.django_db


@pytest.fixture
def made(settings, asset_factory, acme, alice):
    settings.CRUN_API_KEY = "test-only"
    return campaign(asset_factory, acme, alice)


def test_it_reads_the_progress_once(made, alice, login, django_assert_num_queries):
    client = login(alice)
    # Session, user, permission, the campaign, then progress: rows by verdict and state, money.
    with django_assert_num_queries(6):
        response = client.get(reverse("studio:campaign_status", args=[made.pk]))
    assert response.status_code == 200
    status = response.json()
    assert status["counts"]["valid"] == 5
    assert status["counts"]["not_sent"] == 5
    assert status["percent"] == 0
