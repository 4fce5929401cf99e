"""An avatar's page and its actions, for every role (the cast of conftest: alice Marketing
and bob Editor in Acme, charlie Marketing and gus Editor in Globex, audrey Auditor, root).

- Acme's members (alice, bob) and root see the page and change consent, tags and archiving,
  and record a withdrawal of consent.
- Auditors (audrey) see the page, without any way to change it (403 for every action).
- The other team (charlie, gus) gets 404 for the page and every action.
- Anonymous visitors are sent to the login page.
"""

import datetime

import pytest
from django.test import Client
from django.utils import timezone

from avatars.models import Avatar
from tests.helpers.studio import consented

pytestmark = pytest.mark.django_db

ROLES = ["anonymous", "alice", "bob", "charlie", "gus", "audrey", "root"]
OTHER_TEAM = {"charlie": 404, "gus": 404}
READ_ONLY = {**OTHER_TEAM, "audrey": 403}
LATER = (timezone.localdate() + datetime.timedelta(days=100)).isoformat()

# name: (method, path after /studio/avatars/<id>/, data, expected by role, default, effect)
ENDPOINTS = {
    "page": ("get", "", None, OTHER_TEAM, 200, None),
    "consent page": ("get", "consent/", None, READ_ONLY, 200, None),
    "edit consent": (
        "post",
        "consent/",
        {"consent_person": "G. H.", "consent_scope": "internal", "consent_expires": LATER},
        READ_ONLY,
        302,
        lambda a: a.consent_person,
    ),
    "tags": ("post", "tags/", {"tag_names": "new"}, READ_ONLY, 302, lambda a: list(a.tags.all())),
    "archive": ("post", "archive/", {"archived": "1"}, READ_ONLY, 302, lambda a: a.archived),
    "withdraw": (
        "post",
        "withdraw/",
        {"confirm": "yes"},
        READ_ONLY,
        302,
        lambda a: a.consent_withdrawn_at,
    ),
}


@pytest.fixture
def grace(acme, alice, bob, charlie, gus, audrey, root, asset_factory) -> Avatar:
    return consented(asset_factory, acme, "Grace")


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("name", ENDPOINTS)
def test_each_role_gets_exactly_what_it_may(name, role, grace, request):
    method, suffix, data, expect, default, effect = ENDPOINTS[name]
    client = Client()
    if role != "anonymous":
        client.force_login(request.getfixturevalue(role))
    before = effect(Avatar.objects.get(pk=grace.pk)) if effect else None

    response = getattr(client, method)(f"/studio/avatars/{grace.pk}/{suffix}", data or {})

    if role == "anonymous":
        assert response.status_code == 302
        assert response["Location"].startswith("/admin/login/?next=/")
    else:
        assert response.status_code == expect.get(role, default)
    if effect:
        changed = effect(Avatar.objects.get(pk=grace.pk)) != before
        assert changed == (response.status_code == 302 and role != "anonymous"), (name, role)


@pytest.mark.parametrize("name", ["tags", "archive", "withdraw"])
def test_an_action_refuses_get(name, grace, root, login):
    response = login(root).get(f"/studio/avatars/{grace.pk}/{ENDPOINTS[name][1]}")
    assert response.status_code == 405


@pytest.mark.parametrize("name", [n for n, e in ENDPOINTS.items() if e[0] == "post"])
def test_an_action_refuses_a_post_without_a_csrf_token(name, grace, bob):
    client = Client(enforce_csrf_checks=True)
    client.force_login(bob)
    _, suffix, data, *_ = ENDPOINTS[name]

    response = client.post(f"/studio/avatars/{grace.pk}/{suffix}", data)

    assert response.status_code == 403
    grace.refresh_from_db()
    assert grace.consent_withdrawn_at is None and not grace.archived


def test_an_auditor_reads_the_page_without_a_way_to_change_it(grace, audrey, login):
    body = login(audrey).get(f"/studio/avatars/{grace.pk}/").content.decode()

    assert "Grace Person" in body
    for offer in ("Edit consent", "Save tags", "Archive", "Record the withdrawal", "Render with"):
        assert offer not in body, offer


def test_a_member_is_offered_every_change(grace, alice, login):
    body = login(alice).get(f"/studio/avatars/{grace.pk}/").content.decode()

    for offer in ("Edit consent", "Save tags", "Archive", "Record the withdrawal", "Render with"):
        assert offer in body, offer
