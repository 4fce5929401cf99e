"""The Lumenfall client against the fake Lumenfall over real HTTP (shared/providers.md §2).

Where Lumenfall's API is OpenAI's videos API, the client copes as the `openai` package's
does: a finished video without `output.url` is read from `GET /videos/{id}/content` with our
key, `expires_at` is believed, and `retry-after-ms` is honoured before `Retry-After`.
"""

import datetime
import json
import time
from decimal import Decimal

import httpx
import pytest

from avatars import fetch
from avatars.providers import base
from avatars.providers.lumenfall import IDEMPOTENCY_HEADER, LumenfallProvider
from tests.fakes import lumenfall
from tests.fakes.server import VIDEO, Task
from tests.helpers.ports import free_port
from tests.helpers.provider_errors import assert_typed_error
from tests.helpers.render_inputs import inputs
from tests.helpers.standard_webhooks import signed as signed_by_the_standard
from tests.helpers.stub_server import Reply, StubServer
from tests.helpers.waiting import wait_until

SHORT = httpx.Timeout(1.0)


def client(server, *, secret: str = lumenfall.SECRET, key: str = lumenfall.API_KEY):
    return LumenfallProvider(f"{server.url}/v1", key, secret, timeout=SHORT)


def creates(server) -> list:
    return [r for r in server.requests if r.method == "POST" and r.path == "/v1/videos"]


# --- creating and following a video ------------------------------------------------------------


def test_submit_sends_the_documented_create_with_an_idempotency_key(lumenfall_server):
    video_id = client(lumenfall_server).submit(
        inputs(
            callback_url="https://studio.example/callbacks/lumenfall/1/t/",
            idempotency_key="avatar-studio-abc",
            voice_prompt="Warm.",
            video_prompt="Smiling.",
            seed=7,
        )
    )

    assert video_id.startswith("video_")
    (request,) = creates(lumenfall_server)
    assert request.headers["authorization"] == f"Bearer {lumenfall.API_KEY}"
    assert request.headers["idempotency-key"] == "avatar-studio-abc"
    assert request.body == {
        "model": "p-video-avatar",
        "prompt": "Hello there.",
        "image_url": "http://127.0.0.1:9/portrait.jpg",
        "resolution": "720p",
        "seed": 7,
        "webhook_url": "https://studio.example/callbacks/lumenfall/1/t/",
        "voice": "Kore (Female)",
        "voice_language": "English (US)",
        "voice_prompt": "Warm.",
        "video_prompt": "Smiling.",
        "disable_safety_filter": False,
    }


def test_the_idempotency_header_is_the_common_convention():
    assert IDEMPOTENCY_HEADER == "Idempotency-Key"


def test_an_audio_render_passes_the_audio_through_and_no_script(lumenfall_server):
    client(lumenfall_server).submit(
        inputs(audio_url="https://studio.example/m/clip.wav", text="", voice="", voice_language="")
    )

    body = creates(lumenfall_server)[0].body
    assert body["audio"] == "https://studio.example/m/clip.wav"
    assert body["prompt"] == ""
    assert "voice" not in body and "voice_language" not in body


def test_without_a_webhook_secret_no_webhook_is_asked_for(lumenfall_server):
    client(lumenfall_server, secret="").submit(inputs(callback_url="https://studio.example/cb/"))

    assert "webhook_url" not in creates(lumenfall_server)[0].body


def test_a_repeated_create_with_the_same_key_returns_the_same_video(lumenfall_server):
    provider = client(lumenfall_server)

    first = provider.submit(inputs(idempotency_key="avatar-studio-same"))
    second = provider.submit(inputs(idempotency_key="avatar-studio-same"))
    other = provider.submit(inputs(idempotency_key="avatar-studio-other"))

    assert first == second != other
    assert len(lumenfall_server.tasks) == 2


def test_fetch_follows_a_video_to_completion_with_its_cost(lumenfall_server):
    provider = client(lumenfall_server)
    video_id = provider.submit(inputs())
    wait_until(lambda: lumenfall_server.tasks[video_id].status == "completed")

    state = provider.fetch(video_id)

    assert state.task_id == video_id
    assert state.status == base.TaskStatus.SUCCEEDED
    assert state.video_url.startswith(f"{lumenfall_server.url}/files/{video_id}.mp4?token=")
    assert state.cost == Decimal("0.0300")
    assert state.duration_seconds == 1.0


@pytest.mark.parametrize(
    ("status", "expected"),
    [
        ("queued", base.TaskStatus.PENDING),
        ("in_progress", base.TaskStatus.RUNNING),
        ("completed", base.TaskStatus.SUCCEEDED),
        ("failed", base.TaskStatus.FAILED),
        ("cancelled", base.TaskStatus.CANCELED),
    ],
)
def test_fetch_maps_each_lumenfall_status(lumenfall_server, status, expected):
    lumenfall_server.tasks["video_x"] = Task(
        "video_x", {}, "", status, int(time.time()), error="no face found"
    )

    state = client(lumenfall_server).fetch("video_x")

    assert state.status == expected
    assert bool(state.video_url) == (expected == base.TaskStatus.SUCCEEDED)
    if expected == base.TaskStatus.FAILED:
        assert state.error_code == "generation_failed"
        assert state.error_message == (
            "Lumenfall could not generate this video. Lumenfall said: “no face found”."
        )


# --- errors ------------------------------------------------------------------------------------

CODES = [
    # status, error class, typed code, words, retryable, safe to resubmit, falls back
    (400, base.InvalidRequest, "invalid_request", "refused the request as invalid", 0, 0, 0),
    (401, base.AuthError, "auth", "refused our API key", 0, 0, 0),
    (402, base.InsufficientCredits, "insufficient_credits", "run out of credits", 0, 0, 0),
    (429, base.RateLimited, "rate_limited", "limiting how fast", 1, 1, 1),
    (500, base.Unavailable, "unavailable", "server error", 1, 1, 1),
    (502, base.Unavailable, "unavailable", "All upstream providers are busy", 1, 1, 1),
    (503, base.Unavailable, "unavailable", "server error", 1, 1, 1),
]


@pytest.mark.parametrize(
    ("code", "error_class", "typed_code", "words", "retryable", "safe", "falls_back"),
    CODES,
    ids=[str(row[0]) for row in CODES],
)
@pytest.mark.parametrize("call", ["create", "fetch"])
def test_each_lumenfall_error_raises_its_typed_error(
    lumenfall_server, call, code, error_class, typed_code, words, retryable, safe, falls_back
):
    lumenfall_server.configure(**{f"{call}_error": code}, retry_after=7)
    provider = client(lumenfall_server)

    with pytest.raises(base.ProviderError) as raised:
        provider.submit(inputs()) if call == "create" else provider.fetch("video_000001")

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
    assert not lumenfall_server.tasks


def test_the_error_message_of_the_body_is_surfaced(lumenfall_server):
    lumenfall_server.configure(create_error=402)

    with pytest.raises(base.InsufficientCredits) as raised:
        client(lumenfall_server).submit(inputs())

    assert "Lumenfall said: “Your balance is too low for this request”." in raised.value.message


def test_a_rate_limit_without_retry_after_waits_a_default(lumenfall_server):
    lumenfall_server.configure(create_error=429, retry_after=None)

    with pytest.raises(base.RateLimited) as raised:
        client(lumenfall_server).submit(inputs())

    assert raised.value.retry_after == 10.0


@pytest.mark.parametrize("code", ["MODEL_DISABLED", "MODEL_NOT_FOUND"])
def test_a_model_missing_on_create_is_the_model_switched_off(code):
    body = json.dumps({"error": {"message": "The model is disabled", "type": "x", "code": code}})
    with StubServer() as stub:
        stub.reply = Reply(404, body.encode())
        with pytest.raises(base.FeatureDisabled) as raised:
            client(stub).submit(inputs())

    assert raised.value.falls_back and "switched off on the Lumenfall account" in (
        raised.value.message
    )


def test_an_unknown_video_is_not_found(lumenfall_server):
    with pytest.raises(base.NotFound):
        client(lumenfall_server).fetch("video_missing")


def test_a_wrong_key_is_an_auth_error(lumenfall_server):
    with pytest.raises(base.AuthError, match="refused our API key"):
        client(lumenfall_server, key="lmnfl_wrong").submit(inputs())

    assert not lumenfall_server.tasks


# --- the network failing -----------------------------------------------------------------------


def test_a_create_without_an_answer_is_safe_to_send_again_with_its_key(lumenfall_server):
    lumenfall_server.configure(create_delay=1.5)
    provider = client(lumenfall_server)

    with pytest.raises(base.NoAnswer) as raised:
        provider.submit(inputs(idempotency_key="avatar-studio-slow"))

    error = raised.value
    assert isinstance(error, base.IdempotentNoAnswer)
    assert error.retryable and error.safe_to_resubmit and not error.falls_back
    assert "did not answer in time" in error.message
    # The slow create did start a video; sending it again returns that video, not a second.
    wait_until(lambda: len(lumenfall_server.tasks) == 1)
    lumenfall_server.configure(create_delay=0)
    again = provider.submit(inputs(idempotency_key="avatar-studio-slow"))
    assert [again] == list(lumenfall_server.tasks)


def test_a_create_still_in_flight_under_its_key_is_sent_again_later():
    body = b'{"error": {"message": "A request with this key is in progress", "code": "CONFLICT"}}'
    with StubServer() as stub:
        stub.reply = Reply(409, body)
        with pytest.raises(base.IdempotentNoAnswer) as raised:
            client(stub).submit(inputs())

    error = raised.value
    assert error.retryable and error.safe_to_resubmit and not error.falls_back
    assert "still working on our earlier request" in error.message


def test_a_refused_connection_is_unavailable_and_may_fall_back():
    provider = LumenfallProvider(f"http://127.0.0.1:{free_port()}/v1", "key", timeout=SHORT)

    with pytest.raises(base.Unavailable) as raised:
        provider.submit(inputs())

    assert type(raised.value) is base.Unavailable
    assert raised.value.falls_back and "could not be reached" in raised.value.message


# --- answers off the contract ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "words"),
    [
        (b"<html>oops</html>", "not its documented JSON"),
        (b'{"object": "video"}', "did not say which video"),
        (b'{"id": 42}', "did not say which video"),
    ],
    ids=["html", "no-id", "numeric-id"],
)
def test_a_create_answer_off_the_contract_is_a_protocol_error(body, words):
    with StubServer() as stub:
        stub.reply = Reply(202, body)
        with pytest.raises(base.ProtocolError, match=words):
            client(stub).submit(inputs())


@pytest.mark.parametrize(
    ("video", "words"),
    [
        ({"id": "video_1", "status": "exploded"}, "unknown video status"),
        ({"id": "video_1", "status": ["completed"]}, "unknown video status"),
        ({"id": "video_1", "status": "completed", "output": "v.mp4"}, "gave no video link"),
        ({"id": "video_1", "status": "completed", "output": {"url": 42}}, "gave no video link"),
        ({"status": "completed"}, "documented form"),
    ],
    ids=["unknown-status", "status-list", "output-not-an-object", "numeric-url", "no-id"],
)
def test_a_video_answer_off_the_contract_is_a_protocol_error(video, words):
    with StubServer() as stub:
        stub.reply = Reply(200, json.dumps(video).encode())
        with pytest.raises(base.ProtocolError, match=words):
            client(stub).fetch("video_1")


def test_a_cost_in_another_currency_is_not_taken_for_dollars():
    video = {
        "id": "video_1",
        "status": "completed",
        "output": {"url": "https://cdn.example/v.mp4"},
        "metadata": {"cost": 3, "cost_currency": "EUR"},
    }
    with StubServer() as stub:
        stub.reply = Reply(200, json.dumps(video).encode())
        assert client(stub).fetch("video_1").cost is None


def video_answer(stub: StubServer, **video: object) -> None:
    stub.reply = Reply(200, json.dumps({"id": "video_1", "status": "completed", **video}).encode())


# --- the plain OpenAI videos shape -------------------------------------------------------------


@pytest.mark.parametrize(
    "output", [None, {}, {"url": None}, {"url": ""}], ids=["none", "empty", "null-url", "blank"]
)
def test_a_finished_video_without_an_output_link_is_read_from_its_content_route(output):
    with StubServer() as stub:
        video_answer(stub, **({} if output is None else {"output": output}))
        provider = client(stub)
        state = provider.fetch("video_1")

    assert state.status == base.TaskStatus.SUCCEEDED
    assert state.video_url == f"{stub.url}/v1/videos/video_1/content"
    assert provider.result_headers(state.video_url) == {
        "Authorization": f"Bearer {lumenfall.API_KEY}"
    }


def test_our_key_goes_with_no_link_but_the_apis_own_content_route():
    provider = LumenfallProvider("https://api.lumenfall.ai/v1", lumenfall.API_KEY)

    assert provider.result_headers("https://api.lumenfall.ai/v1/videos/video_1/content")
    for elsewhere in [
        "https://cdn.lumenfall.ai/v1/videos/video_1/content",
        "https://api.lumenfall.ai.evil.example/v1/videos/video_1/content",
        "http://api.lumenfall.ai/v1/videos/video_1/content",
        "https://api.lumenfall.ai/v1/files/video_1.mp4",
        "https://cdn.example/video_1.mp4?X-Amz-Signature=abc",
    ]:
        assert provider.result_headers(elsewhere) == {}, elsewhere


def test_a_video_id_cannot_steer_the_content_route():
    with StubServer() as stub:
        stub.reply = Reply(200, json.dumps({"id": "../../me", "status": "completed"}).encode())
        state = client(stub).fetch("x")

    assert state.video_url == f"{stub.url}/v1/videos/..%2F..%2Fme/content"


def test_the_content_route_serves_the_video_to_our_key_only(lumenfall_server, tmp_path):
    lumenfall_server.plain_videos = True
    provider = client(lumenfall_server)
    video_id = provider.submit(inputs())
    wait_until(lambda: lumenfall_server.tasks[video_id].status == "completed")

    state = provider.fetch(video_id)
    url = state.video_url
    downloaded = fetch.download(
        url, tmp_path, max_bytes=10**7, allow_private=True, headers=provider.result_headers(url)
    )

    assert url == f"{lumenfall_server.url}/v1/videos/{video_id}/content"
    assert downloaded.path.read_bytes() == VIDEO
    (content,) = [r for r in lumenfall_server.requests if r.path.endswith("/content")]
    assert content.headers["authorization"] == f"Bearer {lumenfall.API_KEY}"
    with pytest.raises(fetch.FetchRefused, match="HTTP 401"):
        fetch.download(url, tmp_path, max_bytes=10**7, allow_private=True)


# --- links that expire -------------------------------------------------------------------------


def test_a_link_whose_expiry_has_passed_is_known_to_be_dead(lumenfall_server):
    lumenfall_server.dead_on_arrival = 1
    provider = client(lumenfall_server)
    video_id = provider.submit(inputs())
    wait_until(lambda: lumenfall_server.tasks[video_id].status == "completed")

    dead, fresh = provider.fetch(video_id), provider.fetch(video_id)

    assert dead.link_expired() and not fresh.link_expired()
    assert dead.video_url != fresh.video_url


@pytest.mark.parametrize(
    ("expires_at", "expired"),
    [
        (None, False),
        (4_102_444_800, False),  # 2100
        (1_000_000_000, True),  # 2001
        ("2001-09-09T01:46:40Z", True),
        ("2100-01-01T00:00:00+00:00", False),
        ("next tuesday", False),
        (10**30, False),
    ],
    ids=["none", "unix-future", "unix-past", "iso-past", "iso-future", "nonsense", "absurd"],
)
def test_expires_at_is_read_as_unix_seconds_or_iso_8601(expires_at, expired):
    with StubServer() as stub:
        video_answer(stub, output={"url": "https://cdn.example/v.mp4"}, expires_at=expires_at)
        state = client(stub).fetch("video_1")

    assert state.link_expired() is expired
    if expires_at == 1_000_000_000:
        assert state.link_expires_at == datetime.datetime(
            2001, 9, 9, 1, 46, 40, tzinfo=datetime.UTC
        )


# --- the wait a busy Lumenfall asks for --------------------------------------------------------


@pytest.mark.parametrize(
    ("code", "headers", "wait"),
    [
        (429, {"retry-after-ms": "1500"}, 1.5),
        (429, {"retry-after-ms": "250", "Retry-After": "30"}, 0.25),
        (429, {"retry-after-ms": "soon", "Retry-After": "30"}, 30.0),
        (503, {"Retry-After": "7"}, 7.0),
        (502, {"retry-after-ms": "2000"}, 2.0),
        (503, {}, None),
    ],
    ids=["429-ms", "429-ms-first", "429-ms-unreadable", "503-seconds", "502-ms", "503-none"],
)
def test_a_retryable_error_carries_the_wait_the_answer_asks_for(code, headers, wait):
    body = json.dumps({"error": {"message": "Busy", "type": "api_error", "code": "BUSY"}})
    with StubServer() as stub:
        stub.reply = Reply(code, body.encode(), headers=headers)
        with pytest.raises(base.ProviderError) as raised:
            client(stub).submit(inputs())

    assert raised.value.retryable
    assert raised.value.retry_after == wait


# --- webhooks ----------------------------------------------------------------------------------


def signed(body: bytes, delivery_id: str = "msg_1") -> dict[str, str]:
    return signed_by_the_standard(body, lumenfall.SECRET, delivery_id)


def finished(server, status: str = "completed") -> Task:
    task = Task("video_9", {}, "", status, int(time.time()), error="no face found")
    server.tasks[task.id] = task
    return task


def test_a_signed_webhook_is_parsed_with_its_delivery_id(lumenfall_server):
    body, headers = lumenfall_server.webhook(finished(lumenfall_server), delivery_id="msg_abc")

    state = client(lumenfall_server).parse_callback(body, headers)

    assert state.task_id == "video_9"
    assert state.status == base.TaskStatus.SUCCEEDED
    assert state.delivery_id == "msg_abc"
    assert json.loads(body)["type"] == "video.completed"


def test_a_failed_video_webhook_carries_the_reason(lumenfall_server):
    body, headers = lumenfall_server.webhook(finished(lumenfall_server, "failed"))

    state = client(lumenfall_server).parse_callback(body, headers)

    assert state.status == base.TaskStatus.FAILED
    assert "no face found" in state.error_message


@pytest.mark.parametrize("signature", ["bad", "missing", "stale", "future"])
def test_a_webhook_not_signed_by_lumenfall_now_is_refused(lumenfall_server, signature):
    body, headers = lumenfall_server.webhook(finished(lumenfall_server), signature=signature)

    with pytest.raises(base.SignatureRejected):
        client(lumenfall_server).parse_callback(body, headers)


def test_a_webhook_is_refused_when_no_secret_is_configured(lumenfall_server):
    body, headers = lumenfall_server.webhook(finished(lumenfall_server))

    with pytest.raises(base.SignatureRejected, match="no webhook secret"):
        client(lumenfall_server, secret="").parse_callback(body, headers)


def test_the_event_type_stands_in_for_a_missing_status(lumenfall_server):
    body = json.dumps({"type": "video.cancelled", "data": {"id": "video_9"}}).encode()

    state = client(lumenfall_server).parse_callback(body, signed(body))

    assert state.status == base.TaskStatus.CANCELED


@pytest.mark.parametrize(
    ("event", "status"),
    [("video.completed", base.TaskStatus.SUCCEEDED), ("video.failed", base.TaskStatus.FAILED)],
)
def test_a_thin_event_naming_only_the_video_is_taken_as_a_hint(lumenfall_server, event, status):
    body = json.dumps({"type": event, "data": {"id": "video_9"}}).encode()
    headers = signed_by_the_standard(body, lumenfall.SECRET, delivery_id="msg_thin")

    state = client(lumenfall_server).parse_callback(body, headers)

    assert (state.task_id, state.status, state.delivery_id) == ("video_9", status, "msg_thin")


def test_a_thin_event_signed_with_the_secret_unpadded_is_believed(lumenfall_server):
    body = json.dumps({"type": "video.completed", "data": {"id": "video_9"}}).encode()
    headers = signed_by_the_standard(body, lumenfall.SECRET)
    unpadded = client(lumenfall_server, secret=lumenfall.SECRET.rstrip("="))

    assert unpadded.parse_callback(body, headers).task_id == "video_9"


def test_a_signed_event_naming_no_video_is_refused(lumenfall_server):
    body = json.dumps({"type": "video.completed", "data": {"status": "completed"}}).encode()

    with pytest.raises(base.CallbackRejected, match="documented form"):
        client(lumenfall_server).parse_callback(
            body, signed_by_the_standard(body, lumenfall.SECRET)
        )


def test_a_signed_body_that_is_not_the_documented_event_is_refused(lumenfall_server):
    with pytest.raises(base.CallbackRejected, match="not JSON"):
        client(lumenfall_server).parse_callback(b"not json", signed(b"not json"))


# --- the free test call ------------------------------------------------------------------------


def test_check_connection_makes_a_dry_run_that_starts_nothing(lumenfall_server):
    said = client(lumenfall_server).check_connection()

    assert "accepted our key" in said and "$0.1200" in said
    assert lumenfall_server.calls["dry_run"] == 1
    assert creates(lumenfall_server)[0].query == {"dryRun": "true"}
    assert not lumenfall_server.tasks


def test_check_connection_with_a_wrong_key_says_so(lumenfall_server):
    with pytest.raises(base.AuthError):
        client(lumenfall_server, key="wrong").check_connection()
