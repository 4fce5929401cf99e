"""Renders through the API over real HTTP, to the fake Crun: estimate without spending,
request, follow to the finished video, cancel, and decide (four eyes: a key never approves
what it asked for); idempotent retries give the first answer, the same job, and send it
once, even when two arrive together."""

import threading
from decimal import Decimal

import pytest
from django.conf import settings

from avatars.models import CreditEntry, RenderJob
from tests.helpers.api import assert_problem, client, consenting, key_for
from tests.helpers.jobs import wait_for
from tests.helpers.settling import settle

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def library(acme, asset_factory):
    return {
        "avatar": consenting(asset_factory, acme).pk,
        "script": asset_factory.script(acme, "Hello", "Hello {{name}}, welcome aboard.").pk,
        "voice": asset_factory.voice(acme).pk,
        "variables": {"name": "Ada"},
        "provider": "crun",
    }


def test_an_estimate_prices_the_render_and_spends_nothing(acme, live_app, crun_key, library):
    with client(live_app.url, key_for(acme, "read")) as api:
        answer = api.post("/estimates", json=library)
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["provider"] == "crun" and Decimal(body["cost"]) > 0
    assert body["within_budget"] and body["problems"] == []
    assert not CreditEntry.objects.exists() and not RenderJob.objects.exists()


def test_an_estimate_names_what_is_missing(acme, live_app, crun_key, library):
    with client(live_app.url, key_for(acme, "read")) as api:
        body = api.post("/estimates", json={**library, "variables": {}}).json()
    assert body["problems"] == [{"field": "variables", "detail": "Fill in {{name}}."}]


def test_a_render_requested_through_the_api_finishes_with_its_video(
    acme, fake_crun, embedded_worker, library
):
    with client(settings.PUBLIC_BASE_URL, key_for(acme, "render", name="CRM")) as api:
        created = api.post("/renders", json=library)
        assert created.status_code == 201, created.text
        render_id = created.json()["id"]
        assert created.headers["Location"] == f"/api/v1/renders/{render_id}"
        wait_for(RenderJob.objects.get(pk=render_id))
        done = api.get(f"/renders/{render_id}").json()
    assert done["status"] == "succeeded" and done["video"] and done["poster"]
    assert done["text"] == "Hello Ada, welcome aboard."
    assert done["requested_by"] == "api:acme:CRM"
    moves = [event["status"] for event in done["timeline"] if event["kind"] == "status"]
    assert moves[0] == "queued" and moves[-1] == "succeeded"


def test_a_refused_request_says_why_per_field_and_holds_nothing(
    acme, live_app, crun_key, library, asset_factory, globex
):
    theirs = consenting(asset_factory, globex, "Theirs").pk
    with client(live_app.url, key_for(acme, "render")) as api:
        missing = api.post("/renders", json={**library, "variables": {}})
        foreign = api.post("/renders", json={**library, "avatar": theirs})
        wrong = api.post("/renders", json={**library, "resolution": "4k"})
    body = assert_problem(missing, 422, "Fill in {{name}}.")
    assert body["errors"] == [{"field": "variables", "detail": "Fill in {{name}}."}]
    assert_problem(foreign, 422, f"There is no avatar {theirs} in Acme's library.")
    assert assert_problem(wrong, 422)["errors"][0]["field"] == "resolution"
    assert not RenderJob.objects.exists() and not CreditEntry.objects.exists()


def test_a_retry_with_the_same_idempotency_key_gets_the_first_answer(
    acme, live_app, crun_key, library
):
    with client(live_app.url, key_for(acme, "render")) as api:
        first = api.post("/renders", json=library, headers={"Idempotency-Key": "k-1"})
        again = api.post("/renders", json=library, headers={"Idempotency-Key": "k-1"})
        other = api.post(
            "/renders", json={**library, "resolution": "1080p"}, headers={"Idempotency-Key": "k-1"}
        )
        fresh = api.post("/renders", json=library, headers={"Idempotency-Key": "k-2"})
    assert first.status_code == again.status_code == 201
    assert again.json()["id"] == first.json()["id"]
    assert again.headers["Idempotent-Replayed"] == "true"
    assert_problem(other, 422, "another request")
    assert fresh.json()["id"] != first.json()["id"]
    assert RenderJob.objects.count() == 2


def test_two_requests_at_once_with_one_key_make_one_job_sent_once(
    acme, fake_crun, embedded_worker, library
):
    secret, answers = key_for(acme, "render"), []
    start = threading.Barrier(2)

    def post() -> None:
        with client(settings.PUBLIC_BASE_URL, secret) as api:
            start.wait()
            answers.append(api.post("/renders", json=library, headers={"Idempotency-Key": "once"}))

    threads = [threading.Thread(target=post) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert [a.status_code for a in answers] == [201, 201], [a.text for a in answers]
    assert answers[0].json()["id"] == answers[1].json()["id"]
    wait_for(RenderJob.objects.get())
    settle(fake_crun)
    assert RenderJob.objects.count() == 1 and fake_crun.calls["create"] == 1


def test_a_key_cannot_approve_its_own_render_but_an_editors_key_can(
    acme, bob, live_app, crun_key, library
):
    acme.approval_threshold = Decimal("0.01")
    acme.save()
    with client(live_app.url, key_for(acme, "manage", creator=bob, name="Ops")) as api:
        asked = api.post("/renders", json=library)
        assert asked.status_code == 202 and asked.json()["status"] == "awaiting_approval"
        render_id = asked.json()["id"]
        assert_problem(api.post(f"/renders/{render_id}/approve"), 403, "Another Editor")
    with client(live_app.url, key_for(acme, "manage", creator=bob, name="Approver")) as api:
        rejected = api.post(f"/renders/{render_id}/reject", json={"reason": "Too long"})
        assert rejected.status_code == 200 and rejected.json()["status"] == "canceled"
        assert_problem(api.post(f"/renders/{render_id}/approve"), 409, "canceled")
    kinds = sorted(CreditEntry.objects.values_list("kind", flat=True))
    assert kinds == ["hold", "release"]


def test_cancel_releases_the_hold(acme, live_app, crun_key, library):
    acme.approval_threshold = Decimal("0.01")
    acme.save()
    with client(live_app.url, key_for(acme, "render")) as api:
        render_id = api.post("/renders", json=library).json()["id"]
        canceled = api.post(f"/renders/{render_id}/cancel")
        assert canceled.json()["status"] == "canceled"
        assert_problem(api.post(f"/renders/{render_id}/cancel"), 409, "canceled")
        budget = api.get("/budget").json()
    assert budget["held"] == "0.0000" and budget["team"] == "acme"
