"""The role groups come from a migration, with the permissions DESIGN.md gives each role."""

import pytest
from django.contrib.auth.models import Group

from avatars import roles
from avatars.models import Avatar, Voice
from tests.conftest import stored_files

ASSETS = ["avatar", "voice", "script", "audioclip", "tag"]


def codenames(role: str) -> set[str]:
    return set(Group.objects.get(name=role).permissions.values_list("codename", flat=True))


@pytest.mark.django_db
def test_the_migration_creates_the_three_role_groups():
    assert set(Group.objects.values_list("name", flat=True)) >= {"Marketing", "Editor", "Auditor"}


@pytest.mark.django_db
@pytest.mark.parametrize("role", [roles.MARKETING, roles.EDITOR])
def test_marketing_and_editors_manage_every_asset(role):
    granted = codenames(role)
    for model in ASSETS:
        assert {f"add_{model}", f"change_{model}", f"delete_{model}", f"view_{model}"} <= granted
    assert "change_team" not in granted and "add_team" not in granted


@pytest.mark.django_db
def test_auditors_may_only_view():
    granted = codenames(roles.AUDITOR)
    assert {f"view_{model}" for model in ASSETS} <= granted
    assert all(name.startswith("view_") for name in granted)


def test_marketing_can_add_and_change_in_its_team(alice, acme, login):
    client = login(alice)
    added = client.post(
        "/admin/avatars/voice/add/",
        {"team": acme.pk, "name": "Host", "speaker": "Kore", "language": "en-GB"},
    )
    voice = Voice.objects.get()
    changed = client.post(
        f"/admin/avatars/voice/{voice.pk}/change/",
        {"team": acme.pk, "name": "Host", "speaker": "Puck", "language": "en-GB"},
    )

    assert (added.status_code, changed.status_code) == (302, 302)
    voice.refresh_from_db()
    assert (voice.speaker, voice.provider_voice, voice.created_by) == ("Puck", "Puck (Male)", alice)


def test_members_archive_and_unarchive_in_bulk(alice, acme, login, asset_factory):
    first, second = asset_factory.avatar(acme, "One"), asset_factory.avatar(acme, "Two")
    client = login(alice)

    client.post(
        "/admin/avatars/avatar/",
        {"action": "archive", "_selected_action": [first.pk, second.pk]},
    )
    archived = set(Avatar.objects.filter(archived=True))
    client.post("/admin/avatars/avatar/", {"action": "unarchive", "_selected_action": [first.pk]})

    assert archived == {first, second}
    assert set(Avatar.objects.filter(archived=True)) == {second}


def test_an_editor_deletes_an_avatar_and_its_files(
    bob, acme, login, asset_factory, media_root, django_capture_on_commit_callbacks
):
    avatar = asset_factory.avatar(acme)
    assert len(stored_files(media_root)) == 3

    with django_capture_on_commit_callbacks(execute=True):
        response = login(bob).post(f"/admin/avatars/avatar/{avatar.pk}/delete/", {"post": "yes"})

    assert response.status_code == 302
    assert not Avatar.objects.exists()
    assert stored_files(media_root) == []


def test_a_user_without_a_role_sees_no_library(user_factory, acme, login):
    nobody = user_factory("nobody", roles.MARKETING, acme)
    nobody.groups.clear()

    response = login(nobody).get("/admin/avatars/avatar/")

    assert response.status_code == 403


@pytest.mark.django_db(transaction=True)
def test_the_role_groups_come_back_after_a_flush():
    from django.core.management import call_command

    call_command("flush", "--no-input", verbosity=0)

    assert {"add_avatar", "view_renderjob"} <= codenames(roles.MARKETING)
    assert "approve_renderjob" in codenames(roles.EDITOR)
