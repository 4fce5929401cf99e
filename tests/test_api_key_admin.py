"""API keys in the admin: an Editor makes one for their team and is shown it once; a key is
never edited or deleted there, only revoked."""

import pytest

from avatars.api import keys
from avatars.models import ApiKey

pytestmark = pytest.mark.django_db


def test_an_editor_makes_a_key_and_sees_it_once(acme, bob, login):
    client = login(bob)
    answer = client.post(
        "/admin/avatars/apikey/add/",
        {"team": acme.pk, "name": "CRM sync", "scopes": ["read", "render"]},
        follow=True,
    )
    assert answer.status_code == 200
    made = ApiKey.objects.get(name="CRM sync")
    shown = [str(m) for m in answer.context["messages"]]
    secret = next(m for m in shown if "shown this once" in m).rsplit(" ", 1)[1]
    assert keys.digest(secret) == made.digest and made.created_by == bob
    assert made.scopes == ["read", "render"]
    assert secret not in client.get(f"/admin/avatars/apikey/{made.pk}/change/").content.decode()


def test_a_second_key_of_the_same_name_is_refused_on_the_form(acme, bob, login):
    keys.create(acme, "CRM sync", ["read"], bob)
    answer = login(bob).post(
        "/admin/avatars/apikey/add/", {"team": acme.pk, "name": "CRM sync", "scopes": ["read"]}
    )
    assert answer.status_code == 200 and ApiKey.objects.count() == 1
    assert "already exists" in answer.content.decode()


def test_revoking_from_the_list_stops_the_key(acme, bob, login):
    made = keys.create(acme, "Zapier", ["read"], bob)
    login(bob).post(
        "/admin/avatars/apikey/",
        {"action": "revoke_keys", "_selected_action": [made.api_key.pk]},
    )
    assert keys.authenticate(made.secret) is None
