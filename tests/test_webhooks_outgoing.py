"""Outgoing webhooks, received by a real HTTP receiver on 127.0.0.1 and checked there with the
`standardwebhooks` package: a finished render is announced once, signed; a receiver that
answers 500 twice gets the same webhook-id a third time; a rotation sends both signatures;
410 disables the endpoint; a private address is refused without FETCH_ALLOW_PRIVATE; REST
hooks subscribe and unsubscribe; budget thresholds are announced once each."""

from decimal import Decimal

import pytest
from django.conf import settings

from avatars.models import CreditEntry, RenderJob, WebhookEndpoint, WebhookMessage
from avatars.outgoing import announce, endpoints, events
from tests.helpers.api import assert_problem, client, consenting, key_for
from tests.helpers.jobs import wait_for
from tests.helpers.waiting import wait_until
from tests.helpers.webhook_receiver import WebhookReceiver

pytestmark = pytest.mark.django_db(transaction=True)
M = WebhookMessage.State


@pytest.fixture
def worker_timeout() -> int:
    return 100


@pytest.fixture
def receiver(settings):
    settings.WEBHOOK_RETRY_SECONDS = [0.1] * 7
    with WebhookReceiver() as server:
        yield server


def registered(acme, receiver, events_: list[str]) -> WebhookEndpoint:
    with client(settings.PUBLIC_BASE_URL, key_for(acme, "manage")) as api:
        made = api.post("/webhooks", json={"url": f"{receiver.url}/hook", "events": events_})
    assert made.status_code == 201, made.text
    assert made.json()["secret"].startswith("whsec_")
    receiver.secrets = [made.json()["secret"]]
    return WebhookEndpoint.objects.get(pk=made.json()["id"])


def delivered(message_count: int = 1) -> list[WebhookMessage]:
    wait_until(
        lambda: (
            WebhookMessage.objects.count() >= message_count
            and not WebhookMessage.objects.filter(state=M.PENDING).exists()
        )
    )
    return list(WebhookMessage.objects.order_by("pk"))


def test_a_finished_render_is_announced_once_signed(
    acme, asset_factory, fake_crun, embedded_worker, receiver
):
    registered(acme, receiver, ["render.succeeded", "render.failed"])
    body = {
        "avatar": consenting(asset_factory, acme).pk,
        "script": asset_factory.script(acme, "Hi", "Hi {{name}}.").pk,
        "voice": asset_factory.voice(acme).pk,
        "variables": {"name": "Ada"},
        "provider": "crun",
    }
    with client(settings.PUBLIC_BASE_URL, key_for(acme, "render")) as api:
        render_id = api.post("/renders", json=body).json()["id"]
    wait_for(RenderJob.objects.get(pk=render_id))
    (message,) = delivered()

    (got,) = receiver.received
    assert got.verified_with == receiver.secrets
    assert got.webhook_id == message.event.event_id
    assert got.payload["type"] == "render.succeeded"
    assert got.payload["data"]["render"]["id"] == render_id
    assert got.payload["data"]["render"]["video"]


def test_a_receiver_failing_twice_gets_the_same_webhook_id_a_third_time(
    acme, live_app, embedded_worker, receiver
):
    registered(acme, receiver, [])
    receiver.statuses = [500, 500]
    events.emit(acme, "campaign.completed", {"campaign": {"id": 1}})
    (message,) = delivered()

    ids = [got.webhook_id for got in receiver.received]
    assert len(ids) == 3 and len(set(ids)) == 1
    assert all(got.verified_with for got in receiver.received)
    assert message.state == M.DELIVERED
    assert [t.status_code for t in message.tries.all()] == [500, 500, 200]


def test_after_a_rotation_both_secrets_sign(acme, live_app, embedded_worker, receiver):
    endpoint = registered(acme, receiver, [])
    old = endpoint.secret
    with client(settings.PUBLIC_BASE_URL, key_for(acme, "manage")) as api:
        new = api.post(f"/webhooks/{endpoint.pk}/rotate").json()["secret"]
    receiver.secrets = [old, new]
    events.emit(acme, "campaign.completed", {"campaign": {"id": 1}})
    delivered()

    (got,) = receiver.received
    assert new != old and got.verified_with == [old, new]
    assert len(got.signatures.split(" ")) == 2


def test_410_gone_disables_the_endpoint(acme, live_app, embedded_worker, receiver):
    endpoint = registered(acme, receiver, [])
    receiver.statuses = [410]
    events.emit(acme, "campaign.completed", {"campaign": {"id": 1}})
    (message,) = delivered()

    endpoint.refresh_from_db()
    assert not endpoint.enabled and "410" in endpoint.disabled_reason
    assert message.state == M.FAILED and message.tries.count() == 1
    assert events.emit(acme, "campaign.completed", {"campaign": {"id": 2}}) == 0


def test_a_private_address_is_refused_without_fetch_allow_private(
    acme, live_server, settings, receiver
):
    settings.FETCH_ALLOW_PRIVATE = False
    with client(live_server.url, key_for(acme, "manage")) as api:
        refused = api.post("/webhooks", json={"url": f"{receiver.url}/hook"})
    body = assert_problem(refused, 422, "private")
    assert body["errors"][0]["field"] == "url"
    assert not WebhookEndpoint.objects.exists() and receiver.received == []


def test_a_delivery_to_an_address_turned_private_reaches_nothing(
    acme, live_app, embedded_worker, receiver, settings
):
    endpoint = endpoints.register(acme, f"{receiver.url}/hook", [], None)
    settings.FETCH_ALLOW_PRIVATE = False
    settings.WEBHOOK_RETRY_SECONDS = []
    events.emit(acme, "campaign.completed", {"campaign": {"id": 1}})
    (message,) = delivered()

    assert message.state == M.FAILED and receiver.received == []
    assert "private" in message.tries.get().error
    endpoint.refresh_from_db()
    assert endpoint.failing_since is not None


def test_rest_hooks_subscribe_and_unsubscribe_with_a_sample(acme, live_app, receiver):
    with client(live_app.url, key_for(acme, "read")) as api:
        hook = api.post(
            "/hooks", json={"target_url": f"{receiver.url}/z", "event": "render.failed"}
        )
        assert hook.status_code == 201 and hook.json()["event"] == "render.failed"
        (sample,) = api.get("/hooks/samples/render.failed").json()
        assert sample["type"] == "render.failed" and sample["data"]["render"]["error"]
        assert_problem(api.get("/hooks/samples/render.exploded"), 404, "no event")
        assert api.delete(f"/hooks/{hook.json()['id']}").status_code == 204
    assert not WebhookEndpoint.objects.exists()


def test_unknown_events_are_refused(acme, live_app, receiver):
    with client(live_app.url, key_for(acme, "manage")) as api:
        refused = api.post("/webhooks", json={"url": f"{receiver.url}/h", "events": ["nope"]})
    assert assert_problem(refused, 422, "no event called nope")["errors"][0]["field"] == "events"


def test_each_budget_threshold_is_announced_once(
    acme, asset_factory, live_app, embedded_worker, receiver
):
    registered(acme, receiver, ["budget.threshold"])
    acme.monthly_budget = Decimal("1.00")
    acme.save()
    job = asset_factory.job(acme, "queued")
    CreditEntry.objects.create(
        team=acme, job=job, provider="crun", kind="hold", amount=Decimal("0.80")
    )
    announce.budget_moved(acme.pk)
    announce.budget_moved(acme.pk)
    delivered()
    assert [got.payload["data"]["threshold"] for got in receiver.received] == [75]


def test_a_read_key_removes_only_the_hooks_it_subscribed(acme, live_app, receiver):
    theirs = endpoints.register(acme, f"{receiver.url}/ops", [], None)
    with client(live_app.url, key_for(acme, "read")) as api:
        assert_problem(api.delete(f"/hooks/{theirs.pk}"), 403, "only remove the hooks")
    assert WebhookEndpoint.objects.filter(pk=theirs.pk).exists()
