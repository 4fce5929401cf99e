"""The render job that the current thread is working on, for every log line it emits."""

from __future__ import annotations

import contextvars
from collections.abc import Callable
from typing import Any

import dramatiq
from django.core.signals import request_finished
from django.http import HttpRequest, HttpResponse
from dramatiq.broker import MessageProxy

job_id: contextvars.ContextVar[int | None] = contextvars.ContextVar("job_id", default=None)

# The actors whose first argument is a job id (avatars/tasks.py).
JOB_ACTORS = frozenset({"submit_job", "poll_job", "store_job"})


def current_job_id() -> int | None:
    return job_id.get()


class JobContext(dramatiq.Middleware):
    """Dramatiq middleware: while an actor works on a job, the job id is in context."""

    def before_process_message(self, broker: dramatiq.Broker, message: MessageProxy) -> None:
        if message.actor_name in JOB_ACTORS and message.args:
            job_id.set(message.args[0])

    def after_process_message(
        self,
        broker: dramatiq.Broker,
        message: MessageProxy,
        *,
        result: Any = None,
        exception: BaseException | None = None,
    ) -> None:
        # Worker threads run one message at a time, so clearing is enough.
        job_id.set(None)

    after_skip_message = after_process_message


class JobContextMiddleware:
    """Django middleware: a view whose URL names a job (the provider callbacks) logs its id,
    up to Django's own line about the response, which comes after every middleware."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        job_id.set(None)
        return self.get_response(request)

    def process_view(
        self,
        request: HttpRequest,
        view: Callable[..., HttpResponse],
        args: tuple[Any, ...],
        kwargs: dict[str, Any],
    ) -> None:
        if isinstance(kwargs.get("job_id"), int):
            job_id.set(kwargs["job_id"])


def _forget_job(**kwargs: Any) -> None:
    job_id.set(None)


request_finished.connect(_forget_job, dispatch_uid="avatars.observability.context")
