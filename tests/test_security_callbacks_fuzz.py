"""Callback and webhook bodies fuzzed, for Crun's callbacks (and the sandbox, which speaks
Crun's contract) and Lumenfall's and Replicate's signed webhooks.

Random JSON shapes, wrong types, huge numbers, unicode, deep nesting, invalid UTF-8, wrong
content types and empty bodies, plus valid deliveries with one field swapped for garbage; for
the signed providers, both unsigned and validly signed over the fuzzed body. Each delivery
goes to a submitted job's own callback URL through the real view. Whatever arrives: never a
500, the job's status and task never move (a callback is only a hint; only the provider's
status call, which nothing here answers, may move it), and every delivery is in the job's
timeline, refused or ignored.
"""

import json
import random
from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from avatars.models import JobEvent, RenderJob
from tests.helpers.standard_webhooks import signed

SEED = 20260609
CASES = 60
SECRET = "whsec_" + "c2VjdXJpdHktZnV6ei13ZWJob29rLWtleS0xMjM0NTY="
TASK_ID = "task-under-test"

VALID: dict[str, Callable[[], dict[str, Any]]] = {
    "crun": lambda: {
        "code": 200,
        "message": "success",
        "data": {"task_id": TASK_ID, "status": "success", "video_url": "https://cdn/x.mp4"},
    },
    "lumenfall": lambda: {
        "type": "video.completed",
        "data": {"id": TASK_ID, "status": "completed", "output": {"url": "https://cdn/x.mp4"}},
    },
    "replicate": lambda: {
        "id": TASK_ID,
        "status": "succeeded",
        "output": "https://cdn/x.mp4",
        "metrics": {"predict_time": 12.5},
    },
}
VALID["sandbox"] = VALID["crun"]
CONTENT_TYPES = [
    "application/json",
    "text/plain",
    "application/x-www-form-urlencoded",
    "multipart/form-data; boundary=x",
    "application/json; charset=utf-16",
    "",
]


@pytest.fixture(autouse=True)
def providers(settings) -> None:
    settings.CRUN_API_KEY = "crun-key"
    settings.LUMENFALL_API_KEY = "lumenfall-key"
    settings.LUMENFALL_WEBHOOK_SECRET = SECRET
    settings.REPLICATE_API_TOKEN = "replicate-key"
    settings.REPLICATE_WEBHOOK_SECRET = SECRET


# --- bodies -----------------------------------------------------------------------------------


def garbage(rng: random.Random, depth: int = 0) -> Any:
    choices = [
        lambda: None,
        lambda: rng.choice([True, False]),
        lambda: rng.randint(-(2**70), 2**70),
        lambda: rng.choice([10**400, -(10**400), 0, -1, 2**63, 2**64 + 1]),
        lambda: rng.choice([1e308, -1e308, 5e-324, 0.1]),
        lambda: rng.choice(["", "success", "failed", "completed", "succeeded", "canceled"]),
        lambda: rng.choice(["\u0000", "\ud7ff\ue000", "☃" * 50, "🎬" * 20, "\u202e\u200b", "é"]),
        lambda: rng.choice(["<script>alert(1)</script>", "' OR 1=1 --", "%s%n", "../../etc"]),
        lambda: "x" * rng.choice([1, 1000, 100_000]),
        lambda: rng.choice(["javascript:alert(1)", "file:///etc/passwd", "http://127.0.0.1/"]),
    ]
    if depth < 4:
        choices += [
            lambda: [garbage(rng, depth + 1) for _ in range(rng.randint(0, 4))],
            lambda: {
                rng.choice(["task_id", "id", "status", "data", "output", "error", "x", ""]): (
                    garbage(rng, depth + 1)
                )
                for _ in range(rng.randint(0, 5))
            },
        ]
    return rng.choice(choices)()


def replace_a_leaf(document: Any, rng: random.Random) -> Any:
    if isinstance(document, dict) and document:
        key = rng.choice(list(document))
        if rng.random() < 0.5 and isinstance(document[key], dict | list):
            return document | {key: replace_a_leaf(document[key], rng)}
        return document | {key: garbage(rng)}
    return garbage(rng)


def fuzzed_body(provider: str, rng: random.Random, index: int) -> bytes:
    kind = index % 6
    if kind == 0:
        return json.dumps(garbage(rng)).encode()
    if kind == 1:
        return json.dumps(replace_a_leaf(VALID[provider](), rng), ensure_ascii=False).encode()
    if kind == 2:
        body = json.dumps(VALID[provider]()).encode()
        cut = rng.randrange(len(body))
        return body[:cut] + bytes(rng.randrange(256) for _ in range(rng.randint(1, 8)))
    if kind == 3:
        return rng.choice(
            [
                b"",
                b"\xff\xfe\xfd",
                b'{"task_id": "\xc3\x28"}',
                b"\x00" * 100,
                b"null",
                b"[]",
                b'"string"',
                b"1e999999",
                b'{"a":' * 500 + b"1" + b"}" * 500,
                '{"status": "succeeded"}'.encode("utf-16"),
            ]
        )
    if kind == 4:
        # The right shape with the right task, one field a lie about its type.
        document = VALID[provider]()
        target = document.get("data", document)
        target[rng.choice(list(target))] = garbage(rng)
        return json.dumps(document).encode()
    return b"task_id=" + TASK_ID.encode() + b"&status=success"


def signed_headers(body: bytes, delivery_id: str) -> dict[str, str]:
    headers = signed(body, SECRET, delivery_id)
    return {
        f"HTTP_{name.upper().replace('-', '_')}": value
        for name, value in headers.items()
        if name.startswith("webhook-")
    }


# --- the jobs ---------------------------------------------------------------------------------


@pytest.fixture
def job_for(acme, alice, asset_factory) -> Callable[[str], RenderJob]:
    def make(provider: str) -> RenderJob:
        return asset_factory.job(
            acme, "submitted", requested_by=alice, provider=provider, provider_task_id=TASK_ID
        )

    return make


def callback_events(job: RenderJob) -> int:
    return job.events.filter(kind=JobEvent.Kind.CALLBACK).count()


def deliver(job: RenderJob, body: bytes, content_type: str, **headers: str):
    path = reverse("provider-callback", args=[job.provider, job.pk, job.callback_token])
    return Client().generic("POST", path, body, content_type=content_type, **headers)


def assert_unmoved(job: RenderJob) -> None:
    fresh = RenderJob.objects.get(pk=job.pk)
    assert (fresh.status, fresh.provider_task_id, fresh.error_message) == (
        "submitted",
        TASK_ID,
        job.error_message,
    )
    assert not fresh.video


@pytest.mark.parametrize("provider", ["sandbox", "crun", "lumenfall", "replicate"])
def test_fuzzed_bodies_are_refused_or_ignored_and_move_nothing(provider, job_for):
    job = job_for(provider)
    rng = random.Random(f"{SEED}-{provider}")
    signed = provider in ("lumenfall", "replicate")
    for index in range(CASES):
        body = fuzzed_body(provider, rng, index)
        headers = signed_headers(body, f"msg_{index}") if signed and index % 4 else {}
        before = callback_events(job)

        response = deliver(job, body, rng.choice(CONTENT_TYPES), **headers)

        assert response.status_code in (200, 400, 401, 413), (index, body[:200])
        assert callback_events(job) == before + 1, (index, body[:200])
        if signed and not headers:
            assert response.status_code == 401
        if response.status_code != 200:
            event = job.events.filter(kind=JobEvent.Kind.CALLBACK).latest("pk")
            assert event.message.startswith("Refused"), event.message
        assert_unmoved(job)


@pytest.mark.parametrize("provider", ["lumenfall", "replicate"])
def test_a_signed_body_altered_after_signing_is_refused(provider, job_for):
    job = job_for(provider)
    rng = random.Random(f"{SEED}-tamper-{provider}")
    for index in range(20):
        body = json.dumps(VALID[provider]()).encode()
        headers = signed_headers(body, f"tamper_{index}")
        tampered = bytearray(body)
        tampered[rng.randrange(len(tampered))] ^= 1 << rng.randrange(8)

        response = deliver(job, bytes(tampered), "application/json", **headers)

        assert response.status_code == 401
        assert_unmoved(job)


def test_a_body_over_the_cap_is_refused_whatever_it_claims(job_for, settings):
    job = job_for("crun")
    body = json.dumps(VALID["crun"]() | {"pad": "x" * (settings.CALLBACK_MAX_BYTES + 1)})

    response = deliver(job, body.encode(), "application/json")

    assert response.status_code == 413
    assert_unmoved(job)


def test_a_callback_for_a_finished_job_changes_nothing(job_for):
    job = job_for("crun")
    RenderJob.objects.filter(pk=job.pk).update(status="failed", error_message="Gone wrong.")
    rng = random.Random(SEED)
    for index in range(12):
        response = deliver(job, fuzzed_body("crun", rng, index), "application/json")
        assert response.status_code in (200, 400, 413)
        assert RenderJob.objects.get(pk=job.pk).status == "failed"


def with_task_id(provider: str, task_id: str) -> dict[str, Any]:
    document = VALID[provider]()
    target = document.get("data", document)
    target["task_id" if "task_id" in target else "id"] = task_id
    return document


@pytest.mark.parametrize("provider", ["sandbox", "crun", "lumenfall", "replicate"])
@pytest.mark.parametrize("task_id", ["\u0000", "task\u0000id", "task\nid", " task", "t" * 201])
def test_a_task_id_no_provider_would_give_is_refused_and_kept_out_of_the_job(
    provider, task_id, acme, alice, asset_factory
):
    # No task yet: a believed callback would adopt its task id as the job's.
    job = asset_factory.job(acme, "submitted", requested_by=alice, provider=provider)
    body = json.dumps(with_task_id(provider, task_id)).encode()
    signed = provider in ("lumenfall", "replicate")
    headers = signed_headers(body, "msg_task_id") if signed else {}

    response = deliver(job, body, "application/json", **headers)

    assert response.status_code == 400
    assert RenderJob.objects.get(pk=job.pk).provider_task_id == ""
    event = job.events.filter(kind=JobEvent.Kind.CALLBACK).latest("pk")
    assert event.message.startswith("Refused"), event.message
