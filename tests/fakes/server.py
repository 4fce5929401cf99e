"""What the fake providers share: tasks, a render thread each, webhooks, misbehaviour on demand.

A fake plays a remote provider over real HTTP (tests/fakes/http.py) and knows nothing of our
database. Its `Behaviour` makes it misbehave on demand: any error code on create or status (a
number of times or always), 429 with or without Retry-After, slowness, renders held until the
test lets them go on, failed or odd endings,
webhooks duplicated, late, unsigned or signed wrongly, and result links that have already
expired or point elsewhere. Webhooks are signed with the `standardwebhooks` package, so our
verifier is checked against an outside implementation. `join()` waits until every request,
render and delivery in flight is done, so a test can assert that nothing else happened.
"""

from __future__ import annotations

import contextlib
import itertools
import json
import threading
import time
from collections import Counter
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any

import httpx
from standardwebhooks import Webhook

from tests.files import mp4_bytes

from .http import QUIET_TIMEOUT, Answer, LocalServer, Request

__all__ = ["VIDEO", "Answer", "Behaviour", "FakeProvider", "Request", "Task"]

VIDEO = mp4_bytes()
# A valid secret that is not the fake's: what a forger or a misconfigured provider signs with.
OTHER_SECRET = "whsec_QW5vdGhlclNlY3JldEFub3RoZXJTZWNyZXQ="


@dataclass
class Behaviour:
    """How a fake behaves; the default is a well-behaved provider."""

    create_error: int | None = None  # answer creates with this HTTP status…
    create_error_times: int | None = None  # …this many times (None: always)
    fetch_error: int | None = None
    fetch_error_times: int | None = None
    retry_after: float | None = 1.0  # the Retry-After header sent with 429 (None: no header)
    create_delay: float = 0.0  # seconds before a create answers (it still starts the render)…
    create_delay_times: int | None = None  # …for this many creates (None: all)
    render_delay: float = 0.0  # seconds a render takes
    # Held renders, for a test to say when each moves: a task stays created until
    # `hold_start` is set, and running until `hold_end` is (each waits QUIET_TIMEOUT at most).
    hold_start: threading.Event | None = None
    hold_end: threading.Event | None = None
    fail_generation: bool = False  # the render ends failed, with an error message
    end_status: str | None = None  # end in this status of the provider's instead
    send_webhook: bool = True  # a webhook (Crun: a callback) when the render ends…
    webhook_copies: int = 1  # …delivered this many times…
    webhook_same_id: bool = True  # …as retries of one message (one webhook-id) or distinct ones…
    webhook_delay: float = 0.0  # …after this many seconds
    signature: str = "good"  # good, bad (another secret), missing, stale or future
    expired_links: int = 0  # this many of the first result links handed out are already dead
    result_url: str | None = None  # report this link instead of the fake's own
    result_bytes: bytes = VIDEO


@dataclass
class Task:
    id: str
    payload: dict[str, Any]
    webhook_url: str
    status: str
    created_at: int
    error: str = ""
    links_issued: int = 0
    finished_at: int | None = None


class FakeProvider(LocalServer):
    """Subclasses route requests (`answer`) and describe tasks in their provider's JSON."""

    api_key = ""
    created_status = ""
    running_status = ""
    success_status = ""
    failed_status = ""
    canceled_status = ""
    gone_status = 404
    behaviour_class: type[Behaviour] = Behaviour
    failure_message = "the model found no face to animate"

    def __init__(self, webhook_secret: str = "") -> None:
        super().__init__()
        self.webhook_secret = webhook_secret
        self._lock = threading.Lock()
        self._ids = itertools.count(1)
        self._stopped = threading.Event()
        self._renders: list[threading.Thread] = []
        self.reset()

    def reset(self, **behaviour: Any) -> None:
        with self._lock:
            self.behaviour = self.behaviour_class(**behaviour)
            self.tasks: dict[str, Task] = {}
            self.calls: Counter[str] = Counter()
            self.requests: list[Request] = []
            self.webhooks_sent: list[dict[str, str]] = []
            self._errors: Counter[str] = Counter()

    def configure(self, **changes: Any) -> None:
        with self._lock:
            self.behaviour = replace(self.behaviour, **changes)

    def stop(self) -> None:
        self._stopped.set()
        super().stop()

    def join(self, timeout: float = QUIET_TIMEOUT) -> None:
        """Wait until no request is being answered and every render, with the webhooks it
        delivers, is done."""
        deadline = time.monotonic() + timeout
        while True:
            self.join_requests(max(deadline - time.monotonic(), 0))
            with self._lock:
                running = [thread for thread in self._renders if thread.is_alive()]
                self._renders = running
            if not running:
                return
            for thread in running:
                # One that ended since the list was taken needs no join (and a thread object
                # seen under load as ended but never marked started would refuse one).
                if thread.is_alive():
                    thread.join(max(deadline - time.monotonic(), 0))
                if thread.is_alive():
                    raise AssertionError(f"{thread.name} still running after {timeout} s")

    def handle(self, request: Request) -> Answer:
        if request.path.startswith("/files/"):
            return self.serve_file(request.path, request.query)
        return self.answer(request)

    # --- what subclasses provide ---------------------------------------------------------

    def describe(self, task: Task, *, link: str | None = None) -> dict[str, Any]:
        raise NotImplementedError

    def error(self, status: int) -> Answer:
        raise NotImplementedError

    def webhook_body(self, task: Task) -> dict[str, Any]:
        raise NotImplementedError

    # --- helpers for subclasses ----------------------------------------------------------

    def authorized(self, request: Request) -> bool:
        return request.headers.get("authorization") == f"Bearer {self.api_key}"

    def scripted_error(self, call: str) -> Answer | None:
        behaviour = self.behaviour
        code = getattr(behaviour, f"{call}_error")
        times = getattr(behaviour, f"{call}_error_times")
        if code is None:
            return None
        with self._lock:
            if times is not None and self._errors[call] >= times:
                return None
            self._errors[call] += 1
        status, body, headers = self.error(code)
        if code == 429 and behaviour.retry_after is not None:
            headers = {**headers, "Retry-After": f"{behaviour.retry_after:g}"}
        return status, body, headers

    def slow_create(self) -> None:
        behaviour = self.behaviour
        with self._lock:
            slowed = self._errors["slow_create"]
            self._errors["slow_create"] += 1
        if behaviour.create_delay_times is None or slowed < behaviour.create_delay_times:
            time.sleep(behaviour.create_delay)

    def new_task(self, prefix: str, payload: dict[str, Any], webhook_url: str) -> Task:
        """A task, known from now on, that nothing renders yet."""
        with self._lock:
            task = Task(
                id=f"{prefix}{next(self._ids):06d}",
                payload=payload,
                webhook_url=webhook_url,
                status=self.created_status,
                created_at=int(time.time()),
            )
            self.tasks[task.id] = task
        return task

    def start_task(self, prefix: str, payload: dict[str, Any], webhook_url: str) -> Task:
        task = self.new_task(prefix, payload, webhook_url)
        render = threading.Thread(
            target=self._render, args=(task,), name=f"render {task.id}", daemon=True
        )
        # Started under the lock, so that `join` never sees a render not yet started (it
        # would take it for one already done).
        with self._lock:
            self._renders.append(render)
            render.start()
        return task

    def link(self, task: Task) -> str:
        """A result link; the first `expired_links` handed out are already dead."""
        if self.behaviour.result_url is not None:
            return self.behaviour.result_url
        with self._lock:
            task.links_issued += 1
            number = task.links_issued
        return f"{self.url}/files/{task.id}.mp4?token={number}"

    def serve_file(self, path: str, query: dict[str, str]) -> Answer:
        task = self.tasks.get(path.removeprefix("/files/").removesuffix(".mp4"))
        token = query.get("token", "")
        dead = not token.isdigit() or int(token) <= self.behaviour.expired_links
        if task is None or task.status != self.success_status or dead:
            return self.gone_status, b"<Error>Request has expired</Error>", {}
        return 200, self.behaviour.result_bytes, {"Content-Type": "video/mp4"}

    def cancel_task(self, task: Task) -> None:
        with self._lock:
            if task.status in (self.created_status, self.running_status):
                task.status = self.canceled_status

    # --- the "GPU" and the webhooks ------------------------------------------------------

    def _render(self, task: Task) -> None:
        behaviour = self.behaviour
        time.sleep(0.05)
        if behaviour.hold_start is not None:
            behaviour.hold_start.wait(QUIET_TIMEOUT)
        with self._lock:
            if task.status != self.created_status:
                return
            task.status = self.running_status
        time.sleep(behaviour.render_delay)
        if behaviour.hold_end is not None:
            behaviour.hold_end.wait(QUIET_TIMEOUT)
        with self._lock:
            if task.status != self.running_status:
                return  # canceled meanwhile
            if behaviour.end_status:
                task.status = behaviour.end_status
            elif behaviour.fail_generation:
                task.status, task.error = self.failed_status, self.failure_message
            else:
                task.status = self.success_status
            task.finished_at = int(time.time())
        if behaviour.send_webhook and task.webhook_url:
            time.sleep(behaviour.webhook_delay)
            self._deliver(task, behaviour)

    def _deliver(self, task: Task, behaviour: Behaviour) -> None:
        first_id = f"msg_{task.id}"
        for copy in range(behaviour.webhook_copies):
            if self._stopped.is_set():
                return
            delivery_id = first_id if behaviour.webhook_same_id else f"{first_id}_{copy}"
            body, headers = self.webhook(
                task, delivery_id=delivery_id, signature=behaviour.signature
            )
            self.webhooks_sent.append(headers)
            with contextlib.suppress(httpx.HTTPError):
                httpx.post(task.webhook_url, content=body, headers=headers, timeout=10)

    def webhook(
        self,
        task: Task,
        *,
        delivery_id: str | None = None,
        signature: str = "good",
        timestamp: int | None = None,
    ) -> tuple[bytes, dict[str, str]]:
        """A webhook delivery about `task` as it is now: its raw body and its headers."""
        body = json.dumps(self.webhook_body(task)).encode()
        delivery_id = delivery_id or f"msg_{task.id}"
        now = int(time.time())
        # Ten minutes off, well past the five allowed: a second's rounding must not bring
        # a stale or future stamp back inside them on a busy machine.
        stamp = timestamp or {"stale": now - 600, "future": now + 600}.get(signature, now)
        headers = {"content-type": "application/json"}
        if signature != "missing" and self.webhook_secret:
            secret = OTHER_SECRET if signature == "bad" else self.webhook_secret
            signed = Webhook(secret).sign(
                delivery_id, datetime.fromtimestamp(stamp, UTC), body.decode()
            )
            headers |= {
                "webhook-id": delivery_id,
                "webhook-timestamp": str(stamp),
                "webhook-signature": signed,
            }
        return body, headers
