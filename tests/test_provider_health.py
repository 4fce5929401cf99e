"""Provider keys and health: configured or not, the admin's health page and its free test call,
and secrets that never reach a page, a log or the database.

root (superuser) sees the page and may test a connection; alice (Marketing) may do neither.
"""

import datetime
import json
import logging
import os
import subprocess
import sys

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from avatars import forms, render
from avatars.models import JobEvent, ProviderCall, RenderJob
from avatars.observability import provider_calls
from avatars.providers import configured_providers, get_provider
from tests.fakes import lumenfall, replicate
from tests.helpers.jobs import request_speech, wait_for

HEALTH = "/admin/avatars/providercall/"
SECRETS = [lumenfall.API_KEY, lumenfall.SECRET, replicate.API_TOKEN, replicate.SECRET]


def check(name: str) -> str:
    return f"{HEALTH}check/{name}/"


@pytest.fixture
def no_keys(settings):
    settings.LUMENFALL_API_KEY = settings.REPLICATE_API_TOKEN = settings.CRUN_API_KEY = ""


# --- configured or not -------------------------------------------------------------------------


def test_a_provider_without_its_key_is_not_configured_and_cannot_be_picked(
    acme, alice, asset_factory, no_keys
):
    assert configured_providers() == ["sandbox"]
    form = forms.RenderRequestForm(user=alice)
    assert [name for name, _ in form.fields["provider"].choices] == ["", "sandbox"]

    request = render.RenderRequest(
        team=acme, user=alice, avatar=asset_factory.avatar(acme), provider="lumenfall"
    )
    assert render.validate(request)["provider"] == "Lumenfall is not configured here."


def test_a_provider_with_its_key_can_be_picked(alice, settings):
    settings.LUMENFALL_API_KEY = lumenfall.API_KEY
    settings.REPLICATE_API_TOKEN = replicate.API_TOKEN

    assert {"lumenfall", "replicate"} <= set(configured_providers())
    names = [name for name, _ in forms.RenderRequestForm(user=alice).fields["provider"].choices]
    assert {"lumenfall", "replicate"} <= set(names)


def test_keys_and_webhook_secrets_are_read_from_the_environment_or_files(tmp_path):
    (tmp_path / "key").write_text("lmnfl_from_file\n")
    (tmp_path / "hook").write_text("whsec_ZnJvbS1maWxl\n")
    env = {
        "PATH": os.environ.get("PATH", ""),
        "LUMENFALL_API_KEY_FILE": str(tmp_path / "key"),
        "LUMENFALL_WEBHOOK_SECRET": "whsec_ZnJvbS1lbnY=",
        "REPLICATE_API_TOKEN": "r8_from_env",
        "REPLICATE_WEBHOOK_SECRET_FILE": str(tmp_path / "hook"),
        "REPLICATE_BASE_URL": "http://127.0.0.1:1/v1",
    }
    code = (
        "import json, project.settings as s; print(json.dumps([s.LUMENFALL_API_KEY, "
        "s.LUMENFALL_WEBHOOK_SECRET, s.LUMENFALL_BASE_URL, s.REPLICATE_API_TOKEN, "
        "s.REPLICATE_WEBHOOK_SECRET, s.REPLICATE_BASE_URL]))"
    )

    loaded = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True)

    assert json.loads(loaded.stdout) == [
        "lmnfl_from_file",
        "whsec_ZnJvbS1lbnY=",
        "https://api.lumenfall.ai/v1",
        "r8_from_env",
        "whsec_ZnJvbS1maWxl",
        "http://127.0.0.1:1/v1",
    ]


# --- the health page ---------------------------------------------------------------------------


def calls(provider: str, ok: int, failed: int, minutes_ago: float = 1) -> None:
    when = timezone.now() - datetime.timedelta(minutes=minutes_ago)
    ProviderCall.objects.bulk_create(
        [ProviderCall(provider=provider, operation="fetch", ok=True, created_at=when)] * ok
        + [
            ProviderCall(
                provider=provider,
                operation="submit",
                ok=False,
                error_code="unavailable",
                message="Replicate had a server error.",
                created_at=when,
            )
        ]
        * failed
    )


def test_the_health_page_shows_each_provider_and_its_last_hour(root, login, no_keys, settings):
    settings.REPLICATE_API_TOKEN = replicate.API_TOKEN
    calls("replicate", ok=3, failed=1)
    calls("replicate", ok=0, failed=5, minutes_ago=90)  # older than the hour: not in the rate

    page = login(root).get(HEALTH)

    assert page.status_code == 200
    rows = {row.name: row for row in page.context["rows"]}
    assert list(rows) == ["crun", "lumenfall", "replicate", "sandbox"]
    assert (rows["replicate"].configured, rows["lumenfall"].configured) == (True, False)
    assert (rows["replicate"].calls, rows["replicate"].errors) == (4, 1)
    assert rows["replicate"].error_rate == 25
    assert rows["replicate"].last_error_message == "Replicate had a server error."
    assert rows["replicate"].last_success and rows["replicate"].last_error
    assert rows["lumenfall"].error_rate is None and rows["lumenfall"].last_success is None
    assert "25 %" in page.text and "Not configured" in page.text
    assert "Test connection" in page.text


def test_the_health_page_runs_a_fixed_number_of_queries(root, login):
    client = login(root)
    client.get(HEALTH)
    with CaptureQueriesContext(connection) as few:
        client.get(HEALTH)
    for name in ("crun", "lumenfall", "replicate", "sandbox"):
        calls(name, ok=40, failed=10)
        calls(name, ok=40, failed=10, minutes_ago=600)
    with CaptureQueriesContext(connection) as many:
        client.get(HEALTH)

    assert len(many) == len(few) <= 15


def test_people_who_are_not_superusers_see_no_health_page_and_test_nothing(alice, login):
    client = login(alice)

    assert client.get(HEALTH).status_code == 403
    assert client.post(check("sandbox")).status_code == 403


def test_prune_forgets_calls_older_than_a_week(db):
    calls("crun", ok=2, failed=0, minutes_ago=60 * 24 * 8)
    calls("crun", ok=1, failed=0)

    assert provider_calls.prune() == 2
    assert ProviderCall.objects.count() == 1


# --- test connection ---------------------------------------------------------------------------


def messages_of(response) -> list[str]:
    return [str(m) for m in response.context["messages"]]


@pytest.mark.django_db(transaction=True)
def test_test_connection_makes_a_free_call_to_each_provider(
    root, login, fake_crun, fake_lumenfall, fake_replicate
):
    client = login(root)

    said = {
        name: messages_of(client.post(check(name), follow=True))
        for name in ("crun", "lumenfall", "replicate")
    }

    assert said["crun"] == ["Crun answered; the account balance is 1000.0000 credits."]
    assert said["lumenfall"] == ["Lumenfall accepted our key (a dry run priced at $0.1200)."]
    assert said["replicate"] == [
        "Replicate accepted our token and knows the model prunaai/p-video-avatar."
    ]
    # The check's call, and the re-read kept for the reconciliation page (avatars/crun_balance.py).
    assert fake_crun.calls["balance"] == 2 and not fake_crun.tasks
    assert fake_lumenfall.calls["dry_run"] == 1 and not fake_lumenfall.tasks
    assert fake_replicate.calls["model"] == 1 and not fake_replicate.tasks
    checks = ProviderCall.objects.filter(operation="check")
    assert sorted(checks.values_list("provider", "ok")) == [
        ("crun", True),
        ("lumenfall", True),
        ("replicate", True),
    ]


@pytest.mark.django_db(transaction=True)
def test_test_connection_says_what_is_wrong(root, login, fake_lumenfall, settings):
    settings.LUMENFALL_API_KEY = "lmnfl_wrong"
    settings.REPLICATE_API_TOKEN = ""
    client = login(root)

    wrong = messages_of(client.post(check("lumenfall"), follow=True))
    missing = messages_of(client.post(check("replicate"), follow=True))

    assert wrong == [
        "Lumenfall: Lumenfall refused our API key. An administrator needs to check it. "
        "Lumenfall said: “Invalid API key provided”."
    ]
    assert missing == ["Replicate is not configured: it has no API key."]
    failed = ProviderCall.objects.get(provider="lumenfall")
    assert (failed.ok, failed.error_code) == (False, "auth")
    assert client.get(check("lumenfall")).status_code == 405
    assert client.post(check("nonsense")).status_code == 404


# --- secrets stay secret -----------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_no_key_or_secret_reaches_a_log_a_page_or_the_database(
    acme,
    globex,
    root,
    login,
    asset_factory,
    fake_lumenfall,
    fake_replicate,
    embedded_worker,
    caplog,
):
    caplog.set_level(logging.DEBUG)
    ok = wait_for(request_speech(asset_factory, acme, provider="lumenfall"))
    fake_replicate.configure(create_error=401)
    refused = wait_for(request_speech(asset_factory, globex, provider="replicate"))
    assert (ok.status, refused.status) == ("succeeded", "failed")
    client = login(root)
    pages = [
        client.get(HEALTH).text,
        client.get(f"/admin/avatars/renderjob/{ok.pk}/change/").text,
        client.get(f"/admin/avatars/renderjob/{refused.pk}/change/").text,
        client.get(f"/admin/avatars/team/{acme.pk}/change/").text,
    ]
    stored = [
        json.dumps(list(RenderJob.objects.values()), default=str),
        json.dumps(list(JobEvent.objects.values()), default=str),
        json.dumps(list(ProviderCall.objects.values()), default=str),
    ]

    for secret in SECRETS:
        assert secret not in caplog.text
        assert not any(secret in text for text in pages + stored)
    assert get_provider("lumenfall").configured


@pytest.mark.django_db(transaction=True)
def test_every_call_a_render_makes_is_counted(acme, asset_factory, fake_lumenfall, embedded_worker):
    wait_for(request_speech(asset_factory, acme, provider="lumenfall"))

    made = set(ProviderCall.objects.values_list("provider", "operation", "ok"))
    assert {("lumenfall", "submit", True), ("lumenfall", "fetch", True)} <= made
