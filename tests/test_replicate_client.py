"""The Replicate client against the fake Replicate over real HTTP (shared/providers.md §3)."""

import json
import time

import httpx
import pytest

from avatars.providers import base
from avatars.providers.replicate import ReplicateProvider
from tests.fakes import replicate
from tests.fakes.server import Task
from tests.helpers.ports import free_port
from tests.helpers.provider_errors import assert_typed_error
from tests.helpers.render_inputs import inputs
from tests.helpers.standard_webhooks import signed
from tests.helpers.stub_server import Reply, StubServer
from tests.helpers.waiting import wait_until

SHORT = httpx.Timeout(1.0)
PREDICTIONS = "/v1/models/prunaai/p-video-avatar/predictions"


def client(server, *, secret: str = replicate.SECRET, token: str = replicate.API_TOKEN):
    return ReplicateProvider(f"{server.url}/v1", token, secret, timeout=SHORT)


def creates(server) -> list:
    return [r for r in server.requests if r.method == "POST" and r.path == PREDICTIONS]


def prediction(server, status: str, error: str = "") -> Task:
    task = Task("pred_x", {"input": {}}, "", status, int(time.time()), error=error)
    server.tasks[task.id] = task
    return task


# --- creating and following a prediction -------------------------------------------------------


def test_submit_creates_a_prediction_with_replicates_field_names(replicate_server):
    prediction_id = client(replicate_server).submit(
        inputs(
            callback_url="https://studio.example/callbacks/replicate/1/t/",
            voice_prompt="Warm.",
            video_prompt="Smiling.",
            seed=7,
        )
    )

    assert prediction_id.startswith("pred_")
    (request,) = creates(replicate_server)
    assert request.headers["authorization"] == f"Bearer {replicate.API_TOKEN}"
    assert request.body == {
        "input": {
            "image": "http://127.0.0.1:9/portrait.jpg",
            "voice_script": "Hello there.",
            "voice": "Kore (Female)",
            "voice_language": "English (US)",
            "voice_prompt": "Warm.",
            "video_prompt": "Smiling.",
            "resolution": "720p",
            "seed": 7,
            "disable_safety_filter": False,
        },
        "webhook": "https://studio.example/callbacks/replicate/1/t/",
        "webhook_events_filter": ["completed"],
    }


def test_an_audio_render_sends_the_audio_and_no_script(replicate_server):
    client(replicate_server).submit(
        inputs(audio_url="https://studio.example/m/clip.wav", text="", voice="", voice_language="")
    )

    given = creates(replicate_server)[0].body["input"]
    assert given["audio"] == "https://studio.example/m/clip.wav"
    assert "voice_script" not in given and "voice" not in given


def test_without_a_webhook_secret_no_webhook_is_asked_for(replicate_server):
    client(replicate_server, secret="").submit(inputs(callback_url="https://studio.example/cb/"))

    body = creates(replicate_server)[0].body
    assert "webhook" not in body and "webhook_events_filter" not in body


def test_fetch_follows_a_prediction_to_success(replicate_server):
    provider = client(replicate_server)
    prediction_id = provider.submit(inputs())
    wait_until(lambda: replicate_server.tasks[prediction_id].status == "succeeded")

    state = provider.fetch(prediction_id)

    assert state.status == base.TaskStatus.SUCCEEDED
    assert state.video_url == f"{replicate_server.url}/files/{prediction_id}.mp4?token=1"
    # Replicate reports compute time, not the video's length or a price: both come later.
    assert state.cost is None and state.duration_seconds is None


@pytest.mark.parametrize(
    ("status", "expected", "code"),
    [
        ("starting", base.TaskStatus.PENDING, ""),
        ("processing", base.TaskStatus.RUNNING, ""),
        ("succeeded", base.TaskStatus.SUCCEEDED, ""),
        ("failed", base.TaskStatus.FAILED, "generation_failed"),
        ("canceled", base.TaskStatus.CANCELED, ""),
        ("aborted", base.TaskStatus.FAILED, "aborted"),
    ],
)
def test_fetch_maps_each_replicate_status(replicate_server, status, expected, code):
    prediction(replicate_server, status, error="CUDA out of memory" if status == "failed" else "")

    state = client(replicate_server).fetch("pred_x")

    assert state.status == expected
    assert state.error_code == code
    if status == "failed":
        assert state.error_message == (
            "Replicate could not generate this video. Replicate said: “CUDA out of memory”."
        )
    if status == "aborted":
        assert "stopped the render before it started" in state.error_message


def test_an_output_given_as_a_list_is_taken_too():
    answer = {"id": "pred_1", "status": "succeeded", "output": ["https://cdn.example/v.mp4"]}
    with StubServer() as stub:
        stub.reply = Reply(200, json.dumps(answer).encode())
        assert client(stub).fetch("pred_1").video_url == "https://cdn.example/v.mp4"


# --- cancel ------------------------------------------------------------------------------------


def test_cancel_asks_replicate_to_stop_the_prediction(replicate_server):
    replicate_server.configure(render_delay=5)
    provider = client(replicate_server)
    prediction_id = provider.submit(inputs())

    provider.cancel(prediction_id)

    assert replicate_server.calls["cancel"] == 1
    assert replicate_server.tasks[prediction_id].status == "canceled"
    assert provider.fetch(prediction_id).status == base.TaskStatus.CANCELED


# --- errors ------------------------------------------------------------------------------------

CODES = [
    # status, error class, typed code, words, retryable, safe to resubmit, falls back
    (401, base.AuthError, "auth", "refused our API key", 0, 0, 0),
    (402, base.InsufficientCredits, "insufficient_credits", "run out of credits", 0, 0, 0),
    (422, base.InvalidRequest, "invalid_request", "Does not match format", 0, 0, 0),
    (429, base.RateLimited, "rate_limited", "limiting how fast", 1, 1, 1),
    (500, base.Unavailable, "unavailable", "server error", 1, 1, 1),
    (503, base.Unavailable, "unavailable", "temporarily unavailable", 1, 1, 1),
]


@pytest.mark.parametrize(
    ("code", "error_class", "typed_code", "words", "retryable", "safe", "falls_back"),
    CODES,
    ids=[str(row[0]) for row in CODES],
)
@pytest.mark.parametrize("call", ["create", "fetch"])
def test_each_replicate_error_raises_its_typed_error(
    replicate_server, call, code, error_class, typed_code, words, retryable, safe, falls_back
):
    replicate_server.configure(**{f"{call}_error": code}, retry_after=7)
    provider = client(replicate_server)

    with pytest.raises(base.ProviderError) as raised:
        provider.submit(inputs()) if call == "create" else provider.fetch("pred_000001")

    error = raised.value
    assert_typed_error(
        error,
        error_class=error_class,
        status=code,
        code=typed_code,
        words=words,
        retryable=retryable,
        safe=safe,
        falls_back=falls_back,
    )
    if code == 429:
        assert error.retry_after == 7.0
    assert not replicate_server.tasks


def test_a_429_without_retry_after_waits_as_long_as_its_body_says(replicate_server):
    replicate_server.configure(create_error=429, retry_after=None)
    replicate_server.resets_in = 30

    with pytest.raises(base.RateLimited) as raised:
        client(replicate_server).submit(inputs())

    assert raised.value.retry_after == 30.0


def test_a_429_without_any_hint_waits_a_default():
    with StubServer() as stub:
        stub.reply = Reply(429, b'{"detail": "Request was throttled."}')
        with pytest.raises(base.RateLimited) as raised:
            client(stub).submit(inputs())

    assert raised.value.retry_after == 10.0


def test_a_503_asks_for_the_wait_its_retry_after_says():
    with StubServer() as stub:
        stub.reply = Reply(503, b'{"detail": "Unavailable"}', headers={"Retry-After": "12"})
        with pytest.raises(base.Unavailable) as raised:
            client(stub).fetch("pred_1")

    assert raised.value.retry_after == 12.0 and raised.value.retryable


def test_a_model_missing_on_create_is_the_model_switched_off():
    with StubServer() as stub:
        stub.reply = Reply(404, b'{"detail": "Model not found", "status": 404}')
        with pytest.raises(base.FeatureDisabled) as raised:
            client(stub).submit(inputs())

    assert raised.value.falls_back


def test_an_unknown_prediction_is_not_found(replicate_server):
    with pytest.raises(base.NotFound):
        client(replicate_server).fetch("pred_missing")


def test_a_create_without_an_answer_is_not_sent_again(replicate_server):
    replicate_server.configure(create_delay=1.5)

    with pytest.raises(base.NoAnswer) as raised:
        client(replicate_server).submit(inputs())

    # Replicate has no idempotency key: a second create would be a second paid prediction.
    error = raised.value
    assert type(error) is base.NoAnswer
    assert error.retryable and not error.safe_to_resubmit and not error.falls_back
    wait_until(lambda: len(replicate_server.tasks) == 1)


def test_a_refused_connection_is_unavailable_and_may_fall_back():
    provider = ReplicateProvider(f"http://127.0.0.1:{free_port()}/v1", "t", timeout=SHORT)

    with pytest.raises(base.Unavailable) as raised:
        provider.submit(inputs())

    assert type(raised.value) is base.Unavailable and raised.value.falls_back


@pytest.mark.parametrize(
    ("answer", "words"),
    [
        ({"id": "pred_1", "status": "exploded"}, "unknown prediction status"),
        ({"id": "pred_1", "status": "succeeded", "output": None}, "gave no video link"),
        ({"status": "succeeded"}, "documented form"),
    ],
    ids=["unknown-status", "no-output", "no-id"],
)
def test_a_prediction_off_the_contract_is_a_protocol_error(answer, words):
    with StubServer() as stub:
        stub.reply = Reply(200, json.dumps(answer).encode())
        with pytest.raises(base.ProtocolError, match=words):
            client(stub).fetch("pred_1")


# --- webhooks ----------------------------------------------------------------------------------


def test_a_signed_webhook_is_the_prediction_with_its_delivery_id(replicate_server):
    body, headers = replicate_server.webhook(
        prediction(replicate_server, "succeeded"), delivery_id="msg_r"
    )

    state = client(replicate_server).parse_callback(body, headers)

    assert (state.task_id, state.status, state.delivery_id) == (
        "pred_x",
        base.TaskStatus.SUCCEEDED,
        "msg_r",
    )


@pytest.mark.parametrize("signature", ["bad", "missing", "stale", "future"])
def test_a_webhook_not_signed_by_replicate_now_is_refused(replicate_server, signature):
    task = prediction(replicate_server, "succeeded")
    body, headers = replicate_server.webhook(task, signature=signature)

    with pytest.raises(base.SignatureRejected):
        client(replicate_server).parse_callback(body, headers)


# --- the free test call ------------------------------------------------------------------------


def test_a_signed_webhook_without_the_output_is_a_hint_to_ask(replicate_server):
    body = json.dumps({"id": "pred_9", "status": "succeeded", "output": None}).encode()

    state = client(replicate_server).parse_callback(body, signed(body, replicate.SECRET))

    assert (state.task_id, state.status, state.video_url) == (
        "pred_9",
        base.TaskStatus.SUCCEEDED,
        "",
    )


def test_check_connection_looks_the_model_up(replicate_server):
    said = client(replicate_server).check_connection()

    assert "knows the model prunaai/p-video-avatar" in said
    assert replicate_server.calls["model"] == 1
    assert not replicate_server.tasks


def test_check_connection_with_a_wrong_token_says_so(replicate_server):
    with pytest.raises(base.AuthError):
        client(replicate_server, token="wrong").check_connection()
