"""The library through the API over real HTTP: lists page with a cursor, a key of another
team sees none of Acme's rows (404 for each, none listed), and scripts are written and
changed with the studio's checks, each change a new revision."""

import pytest
from django.conf import settings

from avatars.models import Script
from tests.helpers.api import assert_problem, client, consenting, key_for

pytestmark = pytest.mark.django_db(transaction=True)


def test_avatars_list_newest_first_a_page_at_a_time(acme, live_server, asset_factory):
    made = [consenting(asset_factory, acme, f"Face {n}").pk for n in range(3)]
    with client(live_server.url, key_for(acme, "read")) as api:
        first = api.get("/avatars", params={"limit": 2}).json()
        second = api.get("/avatars", params={"limit": 2, "cursor": first["next"]}).json()
        one = api.get(f"/avatars/{made[0]}").json()
    assert [a["id"] for a in first["items"]] == made[:0:-1]
    assert [a["id"] for a in second["items"]] == made[:1] and second["next"] is None
    assert one["consent"]["renderable"] and one["image"].startswith(settings.PUBLIC_BASE_URL)


def test_a_key_of_another_team_sees_nothing_of_acmes(acme, globex, live_server, asset_factory):
    avatar = consenting(asset_factory, acme).pk
    script = asset_factory.script(acme).pk
    job = asset_factory.job(acme).pk
    with client(live_server.url, key_for(globex, "manage")) as api:
        for path in (f"/avatars/{avatar}", f"/scripts/{script}", f"/renders/{job}"):
            assert_problem(api.get(path), 404, "in your team")
        assert_problem(api.patch(f"/scripts/{script}", json={"text": "Mine now"}), 404)
        assert_problem(api.post(f"/renders/{job}/cancel"), 404)
        for listing in ("/avatars", "/scripts", "/voices", "/renders"):
            assert api.get(listing).json() == {"items": [], "next": None}
    assert Script.objects.get(pk=script).text == "Hello {{name}}!"


def test_a_script_is_written_and_each_change_is_a_revision(acme, live_server):
    with client(live_server.url, key_for(acme, "manage")) as api:
        made = api.post("/scripts", json={"title": "Welcome", "text": "Hi {{first_name}}!"})
        assert made.status_code == 201, made.text
        script_id = made.json()["id"]
        changed = api.patch(f"/scripts/{script_id}", json={"text": "Hello {{first_name}}!"})
    assert made.json()["revision"] == 1 and made.json()["variables"] == ["first_name"]
    assert changed.json()["revision"] == 2 and changed.json()["text"] == "Hello {{first_name}}!"
    assert Script.objects.get().revisions.count() == 2


def test_a_script_is_refused_with_the_forms_words(acme, live_server, asset_factory):
    asset_factory.script(acme, "Taken")
    with client(live_server.url, key_for(acme, "manage")) as api:
        twin = api.post("/scripts", json={"title": "Taken", "text": "Hi"})
        broken = api.post("/scripts", json={"title": "New", "text": "Hi {{first name}}"})
        empty = api.post("/scripts", json={"title": "New"})
    assert_problem(twin, 422, "Acme already has a script called “Taken”.")
    assert_problem(broken, 422, "is not a valid variable")
    assert assert_problem(empty, 422)["errors"][0]["field"] == "text"


def test_languages_and_bad_limits(acme, live_server):
    with client(live_server.url, key_for(acme, "read")) as api:
        languages = api.get("/languages").json()
        too_many = api.get("/renders", params={"limit": 1000})
    assert {"code": "en-US", "label": languages["items"][0]["label"]} in languages["items"]
    assert_problem(too_many, 400, "between 1 and 100")
