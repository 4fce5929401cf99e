"""What every provider adapter shares: its error kinds, its name, the checks on a task object,
callbacks taken as hints, the wait a provider asks for, and calls told to the observers.

The adapters are plain code: importing them loads no model and no database layer.
"""

import json
import os
import subprocess
import sys

import pytest

from avatars.catalog import PROVIDER_LABELS
from avatars.providers import base, get_provider, monitoring, ratelimit
from avatars.providers.crun import CrunProvider
from avatars.providers.lumenfall import LumenfallProvider
from avatars.providers.replicate import ReplicateProvider
from avatars.render import retry_delay
from tests.fakes import lumenfall, replicate
from tests.helpers.standard_webhooks import signed

KINDS = [
    base.AuthError,
    base.InsufficientCredits,
    base.InvalidRequest,
    base.NotFound,
    base.RateLimited,
    base.Unavailable,
    base.NoAnswer,
    base.IdempotentNoAnswer,
    base.GenerationFailed,
    base.FeatureDisabled,
    base.ProtocolError,
    ratelimit.Throttled,
]
CODES = ["auth", "insufficient_credits", "invalid_request", "not_found", "rate_limited"]
CODES += ["unavailable", "no_answer", "no_answer", "generation_failed", "feature_disabled"]
CODES += ["protocol_error", "throttled"]
# What may follow each kind: trying again, submitting again, moving to the next provider.
RETRYABLE = {base.RateLimited, base.Unavailable, base.NoAnswer, base.IdempotentNoAnswer}
RETRYABLE |= {base.ProtocolError, ratelimit.Throttled}
SAFE_TO_RESUBMIT = {base.RateLimited, base.Unavailable, base.IdempotentNoAnswer}
FALLS_BACK = {base.RateLimited, base.Unavailable, base.FeatureDisabled}


def test_each_error_kind_has_its_code():
    assert [kind.code for kind in KINDS] == CODES


@pytest.mark.parametrize("kind", KINDS, ids=[kind.__name__ for kind in KINDS])
def test_each_error_kind_says_what_may_follow_it(kind):
    error = kind("Something went wrong.", status=503, detail="raw", retry_after=4)

    assert kind.retryable == (kind in RETRYABLE)
    # Throttled is RateLimited: nothing was sent, so anything may follow.
    assert kind.safe_to_resubmit == (kind in SAFE_TO_RESUBMIT | {ratelimit.Throttled})
    assert kind.falls_back == (kind in FALLS_BACK | {ratelimit.Throttled})
    assert (error.message, error.status, error.detail, error.retry_after) == (
        "Something went wrong.",
        503,
        "raw",
        4,
    )
    assert isinstance(error, base.ProviderError)


def test_an_error_asks_for_no_wait_unless_the_provider_said():
    assert base.Unavailable("Down.").retry_after is None


@pytest.mark.parametrize("name", list(PROVIDER_LABELS))
def test_every_provider_is_named_as_the_catalog_names_it(name):
    assert get_provider(name).label == PROVIDER_LABELS[name]


def test_the_adapters_load_no_model_and_no_database_layer():
    code = (
        "import sys, avatars.providers; "
        "print(sorted(m for m in sys.modules if m.startswith(('avatars.models', 'django.db'))))"
    )
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "project.settings"}

    loaded = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True
    )

    assert loaded.stdout.strip() == "[]"


# --- callbacks are hints --------------------------------------------------------------------

CRUN = CrunProvider("http://127.0.0.1:9", "key")
LUMENFALL = LumenfallProvider("http://127.0.0.1:9/v1", "key", lumenfall.SECRET)
REPLICATE = ReplicateProvider("http://127.0.0.1:9/v1", "key", replicate.SECRET)
# A callback that names its task as finished but without the link a status answer must give.
LINKLESS = [
    (CRUN, {"task_id": "task_1", "status": "success", "result": None}, ""),
    (REPLICATE, {"id": "pred_1", "status": "succeeded", "output": None}, replicate.SECRET),
    (
        LUMENFALL,
        {"type": "video.completed", "data": {"id": "v_1", "output": {"url": 7}}},
        lumenfall.SECRET,
    ),
]


@pytest.mark.parametrize(
    ("provider", "document", "secret"), LINKLESS, ids=["crun", "replicate", "lumenfall"]
)
def test_a_callback_without_the_link_is_a_hint_to_ask_for_the_status(provider, document, secret):
    body = json.dumps(document).encode()

    state = provider.parse_callback(body, signed(body, secret) if secret else {})

    assert state.status == base.TaskStatus.SUCCEEDED and state.video_url == ""
    assert state.task_id in ("task_1", "pred_1", "v_1")
    with pytest.raises(base.ProtocolError, match="gave no video link"):
        provider.task_state(provider.callback_task(document))


@pytest.mark.parametrize(
    ("provider", "document", "secret"), LINKLESS, ids=["crun", "replicate", "lumenfall"]
)
def test_a_callback_naming_no_task_is_refused(provider, document, secret):
    field = provider.id_field
    if "data" in document:
        document = {**document, "data": {k: v for k, v in document["data"].items() if k != field}}
    else:
        document = {k: v for k, v in document.items() if k != field}
    body = json.dumps(document).encode()

    with pytest.raises(base.CallbackRejected, match="documented form"):
        provider.parse_callback(body, signed(body, secret) if secret else {})


# --- the wait a provider asks for -----------------------------------------------------------


@pytest.mark.parametrize(
    ("error", "wait"),
    [
        (base.RateLimited("Slow down.", retry_after=3), 3),
        (base.Unavailable("Down.", retry_after=7), 7),
        (base.ProtocolError("Odd.", retry_after=0.5), 0.5),
    ],
    ids=["429", "503", "any-retryable"],
)
def test_a_retry_waits_as_long_as_the_provider_asked(error, wait):
    assert retry_delay(error, attempt=3) == wait


def test_a_retry_without_a_hint_backs_off(settings):
    settings.POLL_MAX_SECONDS = 30

    delays = [retry_delay(base.Unavailable("Down."), attempt) for attempt in (1, 2, 3, 10)]

    assert delays == [2.0, 4.0, 8.0, 30]


# --- calls told to the observers ------------------------------------------------------------


class Scripted:
    """An adapter whose fetch answers, or fails with, what the test says."""

    name = "crun"

    def __init__(self, error: Exception | None = None) -> None:
        self.error = error

    def fetch(self, task_id: str) -> base.TaskState:
        if self.error is not None:
            raise self.error
        return base.TaskState(task_id, base.TaskStatus.RUNNING)


@pytest.fixture
def told(monkeypatch) -> list[monitoring.Call]:
    calls: list[monitoring.Call] = []
    monkeypatch.setattr(monitoring, "_observers", [])
    monitoring.observe(calls.append)
    monitoring.observe(calls.append)  # once, however often asked
    return calls


def test_every_call_is_told_once_with_its_outcome(told):
    monitoring.Monitored(Scripted()).fetch("t-1")
    with pytest.raises(base.AuthError):
        monitoring.Monitored(Scripted(base.AuthError("Refused."))).fetch("t-2")

    assert [(c.provider, c.operation, c.ok, c.error_code, c.message) for c in told] == [
        ("crun", "fetch", True, "", ""),
        ("crun", "fetch", False, "auth", "Refused."),
    ]
    assert all(c.duration >= 0 for c in told)


def test_a_request_our_own_limiter_held_back_is_not_told(told):
    with pytest.raises(ratelimit.Throttled):
        monitoring.Monitored(Scripted(ratelimit.Throttled("Wait your turn."))).fetch("t-1")

    assert told == []
