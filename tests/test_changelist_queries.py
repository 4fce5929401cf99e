"""Every changelist renders in a number of queries that does not grow with its rows."""

import pytest

from avatars.scripts import save_with_revision
from tests.helpers.queries import page_queries

CHANGELISTS = ["avatar", "voice", "script", "audioclip", "tag", "team", "renderjob"]
BOUND = 12


def fill(team, asset_factory, count: int, start: int) -> None:
    for n in range(start, start + count):
        avatar = asset_factory.avatar(team, f"Avatar {n}")
        tag = asset_factory.tag(team, f"tag {n}")
        avatar.tags.add(tag)
        asset_factory.voice(team, f"Voice {n}")
        script = asset_factory.script(team, f"Script {n}")
        script.text = f"Version two {n}"
        save_with_revision(script, None)
        asset_factory.clip(team, f"Clip {n}")
        asset_factory.job(team, status="failed" if n % 3 else "succeeded", requested_by=None)


@pytest.mark.parametrize("model", CHANGELISTS)
@pytest.mark.parametrize("who", ["alice", "audrey", "root"])
def test_the_changelist_query_count_is_bounded(model, who, request, acme, asset_factory, login):
    client = login(request.getfixturevalue(who))
    path = f"/admin/avatars/{model}/"

    fill(acme, asset_factory, 2, 0)
    few = len(page_queries(client, path))
    fill(acme, asset_factory, 18, 2)
    many = len(page_queries(client, path))

    print(f"{who} {model}: {few} queries with 2 rows, {many} with 20")
    assert many == few
    assert many <= BOUND
