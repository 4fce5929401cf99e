"""The studio's top bar, for every role: each sees the sections it may open and no other.

The cast of conftest: alice Marketing and bob Editor in Acme, audrey Auditor, root
superuser; all of them may use the admin (is_staff). Every link shown must open (never
"Not allowed"), and what a role may not open is not shown.
"""

import re

import pytest
from django.test import Client

from avatars import nav

NAV = re.compile(r'<nav class="main-nav"[^>]*>(.*?)</nav>', re.S)
LINK = re.compile(r'<a href="([^"]+)"[^>]*>([^<]+)</a>')

EVERYONE = ["Avatars", "Scripts"]
EXPECTED = {
    "alice": [*EVERYONE, "New render", "Renders", "Campaigns", "Admin"],
    "bob": [*EVERYONE, "New render", "Renders", "Campaigns", "Review", "Admin"],
    "audrey": [*EVERYONE, "Renders", "Campaigns", "Credits", "Admin"],
    "root": [*EVERYONE, "New render", "Renders", "Campaigns", "Review", "Credits", "Admin"],
}


def nav_links(client: Client) -> list[tuple[str, str]]:
    page = client.get("/studio/")
    assert page.status_code == 200
    found = NAV.search(page.content.decode())
    assert found, "the studio page has no nav"
    return [(label, url) for url, label in LINK.findall(found.group(1))]


@pytest.mark.parametrize("who", list(EXPECTED))
def test_each_role_sees_only_the_sections_it_may_open(who, request, login):
    client = login(request.getfixturevalue(who))

    links = nav_links(client)

    assert [label for label, _ in links] == EXPECTED[who]
    for label, url in links:
        assert client.get(url).status_code == 200, f"{who}'s {label} link ({url}) does not open"


@pytest.mark.parametrize(
    ("who", "url"),
    [
        ("audrey", "/studio/render/"),
        ("audrey", "/review/"),
        ("alice", "/review/"),
        ("alice", "/credits/"),
        ("bob", "/credits/"),
    ],
)
def test_what_a_role_is_not_shown_it_may_not_open(who, url, request, login):
    client = login(request.getfixturevalue(who))

    assert url not in [link for _, link in nav_links(client)]
    assert client.get(url).status_code == 403


def test_someone_who_may_not_use_the_admin_is_not_offered_it(alice, login):
    alice.is_staff = False
    alice.save()
    client = login(alice)

    assert "Admin" not in [label for label, _ in nav_links(client)]
    assert client.get("/admin/").status_code == 302


def test_the_current_section_is_marked(bob, login):
    page = login(bob).get("/studio/render/").content.decode()

    assert '<a href="/studio/render/" aria-current="page">New render</a>' in page
    assert page.count('aria-current="page"') == 1


def test_visitors_get_no_sections(rf):
    from django.contrib.auth.models import AnonymousUser

    request = rf.get("/studio/")
    request.user = AnonymousUser()

    assert nav.studio_links(request) == []
