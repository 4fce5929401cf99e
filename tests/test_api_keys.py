"""Team API keys: made at the command line (shown once, stored hashed), checked on every
request over real HTTP, revoked at once; malformed and missing keys get problem details;
a key does no more than its scopes, nor more than the person who made it."""

import io

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from avatars.api import keys
from avatars.models import ApiKey, AuditEntry
from tests.helpers.api import assert_problem, client, key_for

pytestmark = pytest.mark.django_db(transaction=True)


def test_the_command_prints_the_key_last_and_stores_only_its_digest(acme, live_server):
    out = io.StringIO()
    call_command("api_key", "create", "--team", "acme", "--name", "CRM sync", stdout=out)
    secret = out.getvalue().strip().splitlines()[-1]

    stored = ApiKey.objects.get(name="CRM sync")
    assert secret.startswith("ask_") and len(secret) > 40
    assert stored.scopes == ["read", "render"]
    assert stored.digest == keys.digest(secret) and secret not in str(ApiKey.objects.values().get())
    with client(live_server.url, secret) as api:
        assert api.get("/budget").status_code == 200
    stored.refresh_from_db()
    assert stored.last_used_at is not None


def test_a_revoked_key_stops_working_at_once(acme, live_server):
    secret = key_for(acme, "read", name="Zapier")
    with client(live_server.url, secret) as api:
        assert api.get("/avatars").status_code == 200
        call_command("api_key", "revoke", "Zapier", "--team", "acme", stdout=io.StringIO())
        assert_problem(api.get("/avatars"), 401, "not valid")
    with pytest.raises(CommandError, match="revoked already"):
        call_command("api_key", "revoke", "Zapier", "--team", "acme")


@pytest.mark.parametrize(
    "authorization, says",
    [
        (None, "Authorization: Bearer"),
        ("Bearer", "Authorization: Bearer"),
        ("Bearer not-a-key", "not valid"),
        ("Bearer ask_" + "x" * 43, "not valid"),
        ("Basic YWxpY2U6c2VjcmV0", "Authorization: Bearer"),
        ("Bearer ask_" + "x" * 5000, "not valid"),
    ],
)
def test_missing_and_malformed_keys_get_401_problem_details(acme, live_server, authorization, says):
    headers = {"Authorization": authorization} if authorization is not None else {}
    with client(live_server.url, None, **headers) as api:
        answer = api.get("/renders")
    body = assert_problem(answer, 401)
    assert answer.headers["WWW-Authenticate"].startswith("Bearer")
    assert says in body["detail"]


def test_scopes_are_refused_with_the_scope_they_lack(acme, live_server):
    with client(live_server.url, key_for(acme, "read")) as api:
        assert_problem(api.post("/scripts", json={"title": "T", "text": "Hi"}), 403, "“manage”")
        assert_problem(api.post("/renders", json={"avatar": 1}), 403, "“render”")
        assert_problem(api.post("/renders/1/cancel"), 403, "“render”")
    with client(live_server.url, key_for(acme, "render")) as api:
        assert_problem(api.post("/renders/1/approve"), 403, "“manage”")
        assert api.get("/scripts").status_code == 200  # render includes read


def test_a_key_holds_no_more_than_the_person_who_made_it(acme, alice, bob):
    marketing = ApiKey.objects.get(
        digest=keys.digest(key_for(acme, "manage", creator=bob, name="By an Editor"))
    )
    assert marketing.user.has_perm("avatars.approve_renderjob")
    with pytest.raises(keys.ApiKeyError, match="Editors"):
        keys.create(acme, "By a marketer", ["manage"], alice)


def test_making_and_revoking_keys_is_in_the_audit_log(acme, bob):
    made = keys.create(acme, "CRM sync", ["read"], bob)
    keys.revoke(made.api_key, bob)
    assert list(
        AuditEntry.objects.filter(team=acme).order_by("pk").values_list("action", "actor")
    ) == [("api_key_created", bob.pk), ("api_key_revoked", bob.pk)]


def test_names_are_unique_per_team_and_scopes_are_checked(acme):
    keys.create(acme, "CRM", ["read"], None)
    with pytest.raises(keys.ApiKeyError, match="already has a key called “CRM”"):
        keys.create(acme, "CRM", ["read"], None)
    with pytest.raises(keys.ApiKeyError, match="no scope called admin"):
        keys.parse_scopes("read,admin")
