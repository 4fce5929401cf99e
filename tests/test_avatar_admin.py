"""An avatar's page in the admin, editable for its team and read-only for Auditors: both say
which tags it has."""

import re

from avatars.models import Avatar


def tagged(asset_factory, acme) -> Avatar:
    avatar = asset_factory.avatar(acme, "Tagged")
    avatar.tags.set([asset_factory.tag(acme, "sales"), asset_factory.tag(acme, "EMEA")])
    return avatar


def test_the_read_only_view_lists_the_tags(audrey, login, asset_factory, acme):
    avatar = tagged(asset_factory, acme)

    page = login(audrey).get(f"/admin/avatars/avatar/{avatar.pk}/change/").content.decode()

    field = re.search(r'<div class="[^"]*field-tag_names.*?</div>\s*</div>', page, re.S)
    assert field, "no Tags row on the read-only page"
    assert "<label>Tags:</label>" in field.group(0)
    assert '<span class="tag">EMEA</span> <span class="tag">sales</span>' in field.group(0)
    assert "None" not in field.group(0)


def test_an_avatar_without_tags_says_none(audrey, login, asset_factory, acme):
    avatar = asset_factory.avatar(acme, "Bare")

    page = login(audrey).get(f"/admin/avatars/avatar/{avatar.pk}/change/").content.decode()

    assert '<span class="quiet">none</span>' in page


def test_the_team_edits_the_tags_as_text(alice, login, asset_factory, acme):
    avatar = tagged(asset_factory, acme)

    page = login(alice).get(f"/admin/avatars/avatar/{avatar.pk}/change/").content.decode()

    assert re.search(r'<input type="text" name="tag_names" value="(EMEA, sales|sales, EMEA)"', page)
