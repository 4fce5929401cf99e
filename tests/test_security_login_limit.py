"""Login rate limiting on /admin/login/, the studio's login too.

After LOGIN_FAILURES_PER_USER failures for a user name (from anywhere), or
LOGIN_FAILURES_PER_ADDRESS failures from one address (for any names), further attempts are
refused with a message, even with the right password, until the window ends. The counts
live in the cache, so two web processes sharing Redis share them.
"""

import os
from collections.abc import Iterator

import pytest
import redis
from django.core.cache import cache, caches
from django.test import Client

from avatars import login_limit
from tests.conftest import PASSWORD

LOCKED = "Too many failed logins"
REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15")


@pytest.fixture(autouse=True)
def limits(settings) -> Iterator[None]:
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.LOGIN_FAILURES_PER_USER = 3
    settings.LOGIN_FAILURES_PER_ADDRESS = 5
    settings.LOGIN_LOCKOUT_SECONDS = 600
    cache.clear()
    yield
    cache.clear()


def client_from(address: str) -> Client:
    return Client(REMOTE_ADDR=address)


def log_in(client: Client, username: str, password: str):
    return client.post("/admin/login/?next=/studio/", {"username": username, "password": password})


def logged_in(response) -> bool:
    return response.status_code == 302 and response["Location"] == "/studio/"


def test_a_correct_login_works(alice):
    assert logged_in(log_in(client_from("10.0.0.1"), "alice", PASSWORD))


def test_failures_below_the_limit_do_not_stop_a_correct_login(alice):
    client = client_from("10.0.0.1")
    for _ in range(2):
        response = log_in(client, "alice", "wrong")
        assert response.status_code == 200
        assert LOCKED not in response.content.decode()

    assert logged_in(log_in(client, "alice", PASSWORD))


def test_too_many_failures_for_a_name_lock_it_out_even_with_the_right_password(alice):
    client = client_from("10.0.0.1")
    for _ in range(3):
        log_in(client, "alice", "wrong")

    response = log_in(client, "alice", PASSWORD)

    assert response.status_code == 200
    assert LOCKED in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_the_lockout_of_a_name_holds_from_another_address_and_client(alice, bob):
    for _ in range(3):
        log_in(client_from("10.0.0.1"), "alice", "wrong")

    other = client_from("10.9.9.9")
    response = log_in(other, "ALICE ", PASSWORD)

    assert LOCKED in response.content.decode()
    assert "_auth_user_id" not in other.session
    # Another person's login from that other address is not affected.
    assert logged_in(log_in(client_from("10.9.9.9"), "bob", PASSWORD))


def test_too_many_failures_from_an_address_lock_it_out_for_every_name(alice, bob):
    attacker = client_from("10.6.6.6")
    for name in ("u1", "u2", "u3", "u4", "u5"):
        log_in(attacker, name, "wrong")

    response = log_in(attacker, "bob", PASSWORD)

    assert LOCKED in response.content.decode()
    assert logged_in(log_in(client_from("10.0.0.2"), "bob", PASSWORD))


def test_a_successful_login_clears_the_names_count(alice):
    client = client_from("10.0.0.1")
    for _ in range(2):
        log_in(client, "alice", "wrong")
    assert logged_in(log_in(client, "alice", PASSWORD))

    for _ in range(2):
        log_in(client_from("10.0.0.3"), "alice", "wrong")

    assert logged_in(log_in(client_from("10.0.0.4"), "alice", PASSWORD))


def test_the_lockout_ends_with_its_window(alice):
    client = client_from("10.0.0.1")
    for _ in range(3):
        log_in(client, "alice", "wrong")
    assert LOCKED in log_in(client, "alice", PASSWORD).content.decode()

    # The window's end, without waiting for it: the counts expire with it.
    cache.clear()

    assert logged_in(log_in(client, "alice", PASSWORD))


def test_the_message_says_what_to_do(alice):
    client = client_from("10.0.0.1")
    for _ in range(3):
        log_in(client, "alice", "wrong")

    page = log_in(client, "alice", PASSWORD).content.decode()

    assert "wait and try again" in page
    assert "10 minutes" in page


def test_a_non_staff_user_counts_as_a_failure_too(user_factory):
    user = user_factory("visitor")
    user.is_staff = False
    user.save()
    client = client_from("10.0.0.1")
    for _ in range(3):
        log_in(client, "visitor", PASSWORD)

    assert login_limit.is_locked_out("visitor", "10.0.0.8")


def test_counts_are_shared_through_redis_between_processes(settings, alice):
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": "login-limit-test",
        }
    }
    server = redis.Redis.from_url(REDIS_URL)
    server.flushdb()
    try:
        for _ in range(3):
            log_in(client_from("10.0.0.1"), "alice", "wrong")

        # What another web process would see: the keys are on the Redis server, not here.
        keys = [key.decode() for key in server.keys("login-limit-test:*")]
        assert any(":login-failures:user:" in key for key in keys)
        assert all(0 < server.ttl(key) <= 600 for key in keys)
        caches["default"].close()
        assert LOCKED in log_in(client_from("10.0.0.2"), "alice", PASSWORD).content.decode()
    finally:
        server.flushdb()
        server.close()
