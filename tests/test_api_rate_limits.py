"""Rate limits per key over real HTTP: each answer says how many requests are left; past the
limit, 429 problem details with Retry-After; another key of the team is not held back."""

import pytest
from django.core.cache import cache

from tests.helpers.api import assert_problem, client, key_for

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def three_a_minute(settings):
    settings.API_REQUESTS_PER_MINUTE = 3
    cache.clear()
    yield
    cache.clear()


def test_a_key_past_its_limit_is_told_when_to_come_back(acme, live_server):
    with client(live_server.url, key_for(acme, "read")) as api:
        answers = [api.get("/budget") for _ in range(3)]
        refused = api.get("/budget")
    assert [a.status_code for a in answers] == [200, 200, 200]
    left = [a.headers["RateLimit"].split("remaining=")[1].split(",")[0] for a in answers]
    assert left == ["2", "1", "0"]
    assert answers[0].headers["RateLimit-Policy"] == "3;w=60"
    assert_problem(refused, 429, "limit")
    assert 1 <= int(refused.headers["Retry-After"]) <= 60


def test_keys_are_counted_apart(acme, live_server):
    with client(live_server.url, key_for(acme, "read")) as busy:
        for _ in range(4):
            busy.get("/budget")
    with client(live_server.url, key_for(acme, "read")) as calm:
        assert calm.get("/budget").status_code == 200


def test_unauthenticated_requests_carry_no_allowance(live_server):
    with client(live_server.url, None) as api:
        answer = api.get("/budget")
    assert answer.status_code == 401 and "RateLimit" not in answer.headers
