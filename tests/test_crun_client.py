"""The Crun client against the fake Crun over real HTTP, and against a stub server for garbage.

The fake speaks Crun's contract (shared/providers.md §1) and misbehaves on demand; the stub
server answers whatever a test tells it to, for what the fake never sends.
"""

import json
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from email.utils import format_datetime

import httpx
import pytest

from avatars.providers import base
from avatars.providers.crun import CrunProvider
from tests.fakes import crun as fake_crun
from tests.fakes.crun import FakeCrun
from tests.fakes.server import Task
from tests.helpers.ports import free_port
from tests.helpers.render_inputs import inputs
from tests.helpers.stub_server import Reply, StubServer
from tests.helpers.waiting import wait_until

# None of these needs the database: the client talks to servers on 127.0.0.1.
SHORT = httpx.Timeout(1.0)
TASK = {
    "task_id": "task_42",
    "status": "success",
    "param": {},
    "create_at": 1700000000,
    "complete_at": 1700000030,
    "duration_s": 4,
    "credits": 0.1,
    "result": {"code": 200, "message": "success", "media_urls": ["https://cdn.example/v.mp4"]},
}


# --- a stub server for answers the fake never gives --------------------------------------------


@pytest.fixture
def stub_server() -> Iterator[StubServer]:
    with StubServer() as server:
        yield server


def stub_client(server: StubServer) -> CrunProvider:
    return CrunProvider(server.url, "key", timeout=SHORT)


# --- helpers ---------------------------------------------------------------------------------


@pytest.fixture
def crun(crun_server) -> CrunProvider:
    """The Crun client as the app builds it, pointed at the fake Crun."""
    return CrunProvider(crun_server.url, fake_crun.API_KEY)


def task(status: str, error: str = "") -> Task:
    """A task the fake knows, in `status`."""
    return Task(id="task_x", payload={}, webhook_url="", status=status, created_at=0, error=error)


def envelope(data: object, code: int = 200) -> bytes:
    return json.dumps({"code": code, "message": "success", "data": data}).encode()


# --- submitting and fetching -------------------------------------------------------------------


def test_submit_returns_the_task_id_and_sends_the_documented_payload(crun, crun_server):
    task_id = crun.submit(inputs(callback_url="https://studio.example/callbacks/x/", seed=7))

    assert task_id.startswith("task_")
    assert crun_server.calls["create"] == 1
    (create,) = crun_server.requests
    assert create.headers["x-api-key"] == fake_crun.API_KEY
    assert create.body["model"] == "prunaai/p-video-avatar"
    task = crun_server.tasks[task_id]
    param = task.payload["input"]
    assert task.webhook_url == "https://studio.example/callbacks/x/"
    assert param["text"] == "Hello there."
    assert param["voice"] == "Kore (Female)"
    assert param["voice_language"] == "English (US)"
    assert param["resolution"] == "720p"
    assert param["seed"] == 7
    assert "audio_url" not in param


def test_fetch_follows_a_real_task_to_success(crun, crun_server):
    task_id = crun.submit(inputs())
    wait_until(lambda: crun_server.tasks[task_id].status == "success")

    state = crun.fetch(task_id)

    assert state.task_id == task_id
    assert state.status == base.TaskStatus.SUCCEEDED
    assert state.video_url.startswith(f"{crun_server.url}/files/{task_id}.mp4?token=")
    assert state.duration_seconds == 1.0
    assert state.cost == Decimal("0.025")


@pytest.mark.parametrize(
    ("crun_status", "result", "expected"),
    [
        ("pending", None, base.TaskStatus.PENDING),
        ("running", None, base.TaskStatus.RUNNING),
        (
            "success",
            {"code": 200, "message": "success", "media_urls": ["https://cdn.example/v.mp4"]},
            base.TaskStatus.SUCCEEDED,
        ),
        (
            "failed",
            {"code": 501, "message": "face not found", "media_urls": []},
            base.TaskStatus.FAILED,
        ),
    ],
    ids=["pending", "running", "success", "failed"],
)
def test_fetch_maps_each_crun_status(crun, crun_server, crun_status, result, expected):
    crun_server.tasks["task_x"] = task(crun_status, error=result["message"] if result else "")
    if result and result["media_urls"]:
        crun_server.configure(result_url=result["media_urls"][0])

    state = crun.fetch("task_x")

    assert state.task_id == "task_x"
    assert state.status == expected
    if expected == base.TaskStatus.SUCCEEDED:
        assert state.video_url == "https://cdn.example/v.mp4"
    else:
        assert state.video_url == ""
    if expected == base.TaskStatus.FAILED:
        assert "could not generate this video" in state.error_message
        assert "face not found" in state.error_message
        assert state.error_code


def test_a_task_that_failed_during_generation_has_the_same_code_as_a_501_on_submit(
    crun, crun_server
):
    crun_server.tasks["task_x"] = task("failed", error="face not found")

    assert crun.fetch("task_x").error_code == base.GenerationFailed.code


# --- every Crun code, as HTTP status and as JSON code ------------------------------------------

CODES = [
    # Crun code, error class, typed code, words a marketer reads, retryable, safe to resubmit
    (401, base.AuthError, "auth", "refused our API key", False, False),
    (402, base.InsufficientCredits, "insufficient_credits", "run out of credits", False, False),
    (403, base.AuthError, "auth", "API key is disabled", False, False),
    (404, base.NotFound, "not_found", "does not know this render", False, False),
    (422, base.InvalidRequest, "invalid_request", "refused the request as invalid", False, False),
    (429, base.RateLimited, "rate_limited", "limiting how fast", True, True),
    (455, base.Unavailable, "unavailable", "down for maintenance", True, True),
    (500, base.Unavailable, "unavailable", "server error", True, True),
    (501, base.GenerationFailed, "generation_failed", "could not generate", False, False),
    (505, base.FeatureDisabled, "feature_disabled", "switched off", False, False),
]


@pytest.mark.parametrize(
    ("code", "error_class", "typed_code", "words", "retryable", "safe"),
    CODES,
    ids=[str(row[0]) for row in CODES],
)
def test_each_crun_code_raises_its_typed_error(
    crun, crun_server, code, error_class, typed_code, words, retryable, safe
):
    for call in ("create", "fetch"):
        for errors_in_json in (False, True):
            where = f"{code} on {call}, {'JSON code' if errors_in_json else 'HTTP status'}"
            crun_server.reset(
                **{f"{call}_error": code}, errors_in_json=errors_in_json, retry_after=7
            )

            with pytest.raises(base.ProviderError) as raised:
                crun.submit(inputs()) if call == "create" else crun.fetch("task_00000001")

            error = raised.value
            assert type(error) is error_class, where
            assert error.code == typed_code, where
            assert error.status == code, where
            assert words in error.message, where
            assert (error.retryable, error.safe_to_resubmit) == (retryable, safe), where
            assert "Traceback" not in error.message and "{" not in error.message, where
            if code == 429:
                assert error.retry_after == 7.0, where
            assert crun_server.calls["create" if call == "create" else "get"] == 1, where
            assert not crun_server.tasks, where


def test_a_rate_limit_without_retry_after_waits_a_default(crun, crun_server):
    crun_server.configure(create_error=429, retry_after=None)

    with pytest.raises(base.RateLimited) as raised:
        crun.submit(inputs())

    assert raised.value.retry_after == 10.0


def test_a_retry_after_given_as_a_date_is_honoured(stub_server):
    when = datetime.now(UTC) + timedelta(seconds=30)
    stub_server.reply = Reply(
        429, envelope(None, 429), headers={"Retry-After": format_datetime(when, usegmt=True)}
    )

    with pytest.raises(base.RateLimited) as raised:
        stub_client(stub_server).submit(inputs())

    assert 25 <= raised.value.retry_after <= 30


def test_a_wrong_api_key_is_an_auth_error(crun_server):
    provider = CrunProvider(crun_server.url, "not-the-key")

    with pytest.raises(base.AuthError, match="refused our API key"):
        provider.submit(inputs())
    with pytest.raises(base.AuthError):
        provider.fetch("task_00000001")

    assert crun_server.calls["create"] == 0
    assert not crun_server.tasks


# --- the network failing -----------------------------------------------------------------------


def test_a_refused_connection_is_unavailable_and_safe_to_resubmit():
    provider = CrunProvider(f"http://127.0.0.1:{free_port()}", "key", timeout=SHORT)

    with pytest.raises(base.Unavailable) as raised:
        provider.submit(inputs())

    error = raised.value
    assert type(error) is base.Unavailable
    assert error.retryable and error.safe_to_resubmit
    assert "could not be reached" in error.message


def test_a_create_task_that_times_out_is_no_answer_and_not_safe_to_resubmit(
    crun_server: FakeCrun,
):
    crun_server.configure(create_delay=4.0)
    provider = CrunProvider(crun_server.url, fake_crun.API_KEY, timeout=SHORT)

    started = time.monotonic()
    with pytest.raises(base.NoAnswer) as raised:
        provider.submit(inputs())

    assert time.monotonic() - started < 4.0  # gave up after its 1 s, before the answer
    error = raised.value
    assert error.retryable and not error.safe_to_resubmit
    assert "did not answer in time" in error.message
    # The slow CreateTask did start a render: exactly why it must not be sent again at once.
    crun_server.join()
    assert len(crun_server.tasks) == 1
    assert crun_server.calls["create"] == 1


def test_a_task_info_that_times_out_is_unavailable(stub_server):
    stub_server.reply = Reply(200, envelope(TASK), delay=2.0)

    with pytest.raises(base.Unavailable) as raised:
        stub_client(stub_server).fetch("task_42")

    assert type(raised.value) is base.Unavailable
    assert raised.value.safe_to_resubmit
    assert "did not answer in time" in raised.value.message


# --- answers that do not match the contract ----------------------------------------------------

GARBAGE = [
    ("html-page", 200, b"<html><body>502 Bad Gateway</body></html>", "not its documented JSON"),
    ("truncated-json", 200, b'{"code": 200, "data": {"task_', "not its documented JSON"),
    ("json-list", 200, b"[1, 2, 3]", "not its documented JSON"),
    ("no-data", 200, b'{"code": 200, "message": "success"}', "not its documented JSON"),
    ("empty-body", 200, b"", "not its documented JSON"),
]


@pytest.mark.parametrize("call", ["submit", "fetch"])
@pytest.mark.parametrize(
    ("status", "body", "words"), [row[1:] for row in GARBAGE], ids=[row[0] for row in GARBAGE]
)
def test_garbage_is_a_protocol_error_with_a_clear_message(stub_server, call, status, body, words):
    stub_server.reply = Reply(status, body, headers={"Content-Type": "application/json"})
    provider = stub_client(stub_server)

    with pytest.raises(base.ProtocolError) as raised:
        provider.submit(inputs()) if call == "submit" else provider.fetch("task_42")

    assert words in raised.value.message
    assert raised.value.message.startswith("Crun ")


@pytest.mark.parametrize(
    ("data", "words"),
    [
        ({}, "did not say which task"),
        ({"task_id": 12345}, "did not say which task"),
        ({"task_id": ""}, "did not say which task"),
        (None, "did not say which task"),
    ],
    ids=["empty", "number", "blank", "null"],
)
def test_a_create_answer_without_a_task_id_is_a_protocol_error(stub_server, data, words):
    stub_server.reply = Reply(200, envelope(data))

    with pytest.raises(base.ProtocolError, match=words):
        stub_client(stub_server).submit(inputs())


@pytest.mark.parametrize(
    ("data", "words"),
    [
        (None, "did not match its documented form"),
        ({"status": "success"}, "did not match its documented form"),
        ({**TASK, "task_id": 42}, "did not match its documented form"),
        ({**TASK, "status": "exploded"}, "unknown task status 'exploded'"),
        ({**TASK, "result": None}, "gave no video link"),
        ({**TASK, "result": {"code": 200, "media_urls": []}}, "gave no video link"),
        ({**TASK, "result": {"code": 200, "media_urls": "https://x/v.mp4"}}, "gave no video link"),
        ({**TASK, "result": {"code": 200, "media_urls": [42]}}, "gave no video link"),
    ],
    ids=[
        "null",
        "no-task-id",
        "numeric-task-id",
        "unknown-status",
        "success-without-result",
        "success-without-links",
        "links-not-a-list",
        "link-not-a-string",
    ],
)
def test_a_task_answer_off_the_contract_is_a_protocol_error(stub_server, data, words):
    stub_server.reply = Reply(200, envelope(data))

    with pytest.raises(base.ProtocolError, match=words):
        stub_client(stub_server).fetch("task_42")


def test_odd_numbers_in_a_task_answer_are_ignored_not_fatal(stub_server):
    stub_server.reply = Reply(200, envelope({**TASK, "credits": "lots", "duration_s": [1]}))

    state = stub_client(stub_server).fetch("task_42")

    assert state.status == base.TaskStatus.SUCCEEDED
    assert state.cost is None and state.duration_seconds is None


def test_an_error_status_with_an_html_body_is_still_typed(stub_server):
    stub_server.reply = Reply(502, b"<html><body>Bad Gateway</body></html>")

    with pytest.raises(base.Unavailable, match="server error"):
        stub_client(stub_server).fetch("task_42")


def test_a_deeply_nested_answer_is_a_protocol_error_not_a_crash(stub_server):
    stub_server.reply = Reply(200, b"[" * 100_000)

    with pytest.raises(base.ProtocolError):
        stub_client(stub_server).fetch("task_42")


# --- callbacks ---------------------------------------------------------------------------------

# Parsing a delivery makes no request, so the client needs no server behind it.
PARSER = CrunProvider("http://127.0.0.1:9", "key")


@pytest.mark.parametrize(
    "body",
    [
        json.dumps({"data": TASK}),
        json.dumps(TASK),
        json.dumps({"code": 200, "message": "success", "data": TASK}),
    ],
    ids=["wrapped", "bare", "crun-envelope"],
)
def test_parse_callback_accepts_the_wrapped_and_the_bare_object(body):
    state = PARSER.parse_callback(body.encode(), {"content-type": "application/json"})

    assert state.task_id == "task_42"
    assert state.status == base.TaskStatus.SUCCEEDED
    assert state.video_url == "https://cdn.example/v.mp4"
    assert state.cost == Decimal("0.1")


@pytest.mark.parametrize(
    ("body", "words"),
    [
        (b"task_42 finished", "not JSON"),
        (b"\xff\xfe\x00garbage", "not JSON"),
        (b"", "not JSON"),
        (json.dumps({k: v for k, v in TASK.items() if k != "task_id"}).encode(), "documented"),
        (json.dumps({"data": {"status": "success"}}).encode(), "documented"),
        (json.dumps({"data": None}).encode(), "documented"),
        (b"null", "documented"),
        (json.dumps({**TASK, "status": "exploded"}).encode(), "unknown task status"),
    ],
    ids=[
        "text",
        "binary",
        "empty",
        "no-task-id",
        "wrapped-no-task-id",
        "wrapped-null",
        "null",
        "unknown-status",
    ],
)
def test_parse_callback_rejects_what_it_cannot_understand(body, words):
    with pytest.raises(base.CallbackRejected, match=words):
        PARSER.parse_callback(body, {})


def test_parse_callback_rejects_a_deeply_nested_body():
    with pytest.raises(base.CallbackRejected):
        PARSER.parse_callback(b"[" * 100_000, {})
