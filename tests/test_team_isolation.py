"""A user of one team can neither see nor change another team's rows: by list, by URL or by a
crafted form post. Auditors see every team and change nothing."""

import pytest

from avatars.models import AudioClip, Avatar, Script, Tag, Voice
from tests.files import portrait_bytes

MODELS = {
    "avatar": (Avatar, "name"),
    "voice": (Voice, "name"),
    "script": (Script, "title"),
    "audioclip": (AudioClip, "title"),
    "tag": (Tag, "name"),
}


@pytest.fixture
def acme_rows(acme, asset_factory):
    """One row of every kind in Acme, each named "Acme secret"."""
    return {
        "avatar": asset_factory.avatar(acme, "Acme secret"),
        "voice": asset_factory.voice(acme, "Acme secret"),
        "script": asset_factory.script(acme, "Acme secret"),
        "audioclip": asset_factory.clip(acme, "Acme secret"),
        "tag": asset_factory.tag(acme, "Acme secret"),
    }


def url(model: str, pk: int | None = None, action: str = "change") -> str:
    return f"/admin/avatars/{model}/{pk}/{action}/" if pk else f"/admin/avatars/{model}/"


@pytest.mark.parametrize("model", MODELS)
def test_a_foreign_team_does_not_see_the_row_in_its_list(model, acme_rows, charlie, alice, login):
    theirs = login(charlie).get(url(model))
    ours = login(alice).get(url(model))

    assert theirs.status_code == 200
    assert list(theirs.context["cl"].result_list) == []
    assert b"Acme secret" not in theirs.content
    assert list(ours.context["cl"].result_list) == [acme_rows[model]]


@pytest.mark.parametrize("model", MODELS)
def test_a_foreign_team_cannot_open_change_or_delete_the_row_by_url(
    model, acme_rows, charlie, login
):
    row = acme_rows[model]
    label = MODELS[model][1]
    client = login(charlie)

    opened = client.get(url(model, row.pk))
    changed = client.post(url(model, row.pk), {label: "Pwned", "team": row.team_id})
    deleted = client.post(url(model, row.pk, "delete"), {"post": "yes"})

    assert opened.status_code == 302 and b"Acme secret" not in opened.content
    assert changed.status_code == 302 and deleted.status_code == 302
    row.refresh_from_db()
    assert getattr(row, label) == "Acme secret"


def test_a_crafted_add_form_cannot_write_into_a_foreign_team(acme, globex, charlie, login):
    client = login(charlie)

    voice = client.post(
        "/admin/avatars/voice/add/",
        {"team": acme.pk, "name": "Sneaky", "speaker": "Puck", "language": "en-US"},
    )
    script = client.post(
        "/admin/avatars/script/add/",
        {"team": acme.pk, "title": "Sneaky", "language": "en-US", "text": "Hi"},
    )

    for response in (voice, script):
        assert response.status_code == 200
        assert "Select a valid choice" in str(response.context["adminform"].form.errors["team"])
    assert not Voice.objects.exists() and not Script.objects.exists()


def test_a_crafted_post_cannot_move_an_own_row_into_a_foreign_team(
    acme, globex, charlie, login, asset_factory
):
    voice = asset_factory.voice(globex, "Mine")

    response = login(charlie).post(
        url("voice", voice.pk),
        {"team": acme.pk, "name": "Mine", "speaker": "Puck", "language": "en-US"},
    )

    assert "Select a valid choice" in str(response.context["adminform"].form.errors["team"])
    voice.refresh_from_db()
    assert voice.team == globex


def test_a_crafted_avatar_upload_cannot_land_in_a_foreign_team(acme, charlie, login, media_root):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from tests.conftest import stored_files

    response = login(charlie).post(
        "/admin/avatars/avatar/add/",
        {"team": acme.pk, "name": "x", "portrait": SimpleUploadedFile("p.jpg", portrait_bytes())},
    )

    assert response.status_code == 200
    assert not Avatar.objects.exists()
    assert stored_files(media_root) == []


def test_the_team_choices_offer_only_the_users_own_teams(acme, globex, charlie, login):
    response = login(charlie).get("/admin/avatars/voice/add/")

    choices = response.context["adminform"].form.fields["team"].queryset
    assert list(choices) == [globex]


def test_a_foreign_team_does_not_see_another_teams_tags_in_the_filter(
    acme_rows, charlie, alice, login
):
    theirs = login(charlie).get("/admin/avatars/avatar/")
    ours = login(alice).get("/admin/avatars/avatar/")

    assert b"Acme secret" not in theirs.content
    assert b"Acme secret" in ours.content


@pytest.mark.parametrize("model", MODELS)
def test_an_auditor_sees_every_team_but_changes_nothing(
    model, acme_rows, globex, audrey, login, asset_factory
):
    client = login(audrey)
    row = acme_rows[model]
    label = MODELS[model][1]

    listed = client.get(url(model))
    opened = client.get(url(model, row.pk))
    changed = client.post(url(model, row.pk), {label: "Audited", "team": row.team_id})
    added = client.get(f"/admin/avatars/{model}/add/")
    deleted = client.post(url(model, row.pk, "delete"), {"post": "yes"})

    assert row in listed.context["cl"].result_list
    assert listed.context["cl"].model_admin.get_actions(listed.wsgi_request) == {}
    assert opened.status_code == 200 and b'name="_save"' not in opened.content
    assert (changed.status_code, added.status_code, deleted.status_code) == (403, 403, 403)
    row.refresh_from_db()
    assert getattr(row, label) == "Acme secret"


def test_an_auditor_sees_rows_of_all_teams(acme_rows, globex, audrey, login, asset_factory):
    theirs = asset_factory.voice(globex, "Globex voice")

    listed = login(audrey).get("/admin/avatars/voice/")

    assert set(listed.context["cl"].result_list) == {acme_rows["voice"], theirs}


def test_a_member_sees_only_own_teams_in_the_team_admin(acme, globex, alice, login):
    response = login(alice).get("/admin/avatars/team/")
    foreign = login(alice).get(f"/admin/avatars/team/{globex.pk}/change/")

    assert list(response.context["cl"].result_list) == [acme]
    assert foreign.status_code == 302
