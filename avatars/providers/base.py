"""The one interface every provider adapter speaks; the rest of the app never sees their JSON."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any, ClassVar, Protocol

# Anything a provider reports above this for one render is not a price but a fault.
MAX_COST = Decimal("100000")


def money(value: object) -> Decimal | None:
    """A reported cost as a Decimal of 4 places, or None when it is missing or absurd."""
    if value is None or isinstance(value, bool):
        return None
    try:
        amount = Decimal(str(value))
    except (InvalidOperation, ValueError):
        return None
    if not amount.is_finite() or amount < 0 or amount > MAX_COST:
        return None
    return amount.quantize(Decimal("0.0001"))


class TaskStatus(enum.StrEnum):
    PENDING = "pending"
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    CANCELED = "canceled"

    @property
    def is_final(self) -> bool:
        return self in (TaskStatus.SUCCEEDED, TaskStatus.FAILED, TaskStatus.CANCELED)


@dataclass(frozen=True)
class TaskState:
    """A provider's task, normalised."""

    task_id: str
    status: TaskStatus
    video_url: str = ""
    cost: Decimal | None = None
    duration_seconds: float | None = None
    error_code: str = ""
    error_message: str = ""
    # The webhook-id of the signed delivery that reported this state: its idempotency key.
    delivery_id: str = ""
    # What the provider wants the people who asked to know about a finished render.
    notes: tuple[str, ...] = ()
    # When each word of the script was spoken, (word, start_s, end_s), where a provider says.
    words: tuple[tuple[str, float, float], ...] = ()


@dataclass(frozen=True)
class RenderInputs:
    """What a provider needs to render one job, with its media as expiring URLs."""

    image_url: str
    resolution: str
    callback_url: str
    idempotency_key: str
    text: str = ""
    audio_url: str = ""
    voice: str = ""
    voice_language: str = ""
    voice_prompt: str = ""
    video_prompt: str = ""
    seed: int | None = None
    extra: dict[str, Any] = field(default_factory=dict)


class ProviderError(Exception):
    """A provider call that did not work. `message` is for the people who asked for the video."""

    code: ClassVar[str] = "provider_error"
    retryable: ClassVar[bool] = False
    # A second submit could start a second paid render: only errors where the provider surely
    # did not start one may be retried by submitting again.
    safe_to_resubmit: ClassVar[bool] = False
    # The provider said it cannot take the render now (and so surely started none): once
    # the retries are spent the job may move to the next provider in its team's list.
    falls_back: ClassVar[bool] = False

    def __init__(self, message: str, *, status: int | None = None, detail: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.status = status
        self.detail = detail


class AuthError(ProviderError):
    code = "auth"


class InsufficientCredits(ProviderError):
    code = "insufficient_credits"


class InvalidRequest(ProviderError):
    code = "invalid_request"


class NotFound(ProviderError):
    code = "not_found"


class RateLimited(ProviderError):
    code = "rate_limited"
    retryable = True
    safe_to_resubmit = True
    falls_back = True

    def __init__(self, message: str, *, retry_after: float | None = None, **kwargs: Any) -> None:
        super().__init__(message, **kwargs)
        self.retry_after = retry_after


class Unavailable(ProviderError):
    code = "unavailable"
    retryable = True
    safe_to_resubmit = True
    falls_back = True


class NoAnswer(Unavailable):
    """The request went out but no answer came back: the provider may or may not have acted."""

    code = "no_answer"
    safe_to_resubmit = False
    falls_back = False


class IdempotentNoAnswer(NoAnswer):
    """No answer to a create that carried an idempotency key: sending it again returns the
    render it may have started, never a second one. Another provider would still be a second."""

    safe_to_resubmit = True


class GenerationFailed(ProviderError):
    code = "generation_failed"


class FeatureDisabled(ProviderError):
    code = "feature_disabled"
    falls_back = True


class ProtocolError(ProviderError):
    """The provider answered something that does not match its documented contract."""

    code = "protocol_error"
    retryable = True
    safe_to_resubmit = False


class CallbackRejected(Exception):
    """A callback body that cannot be believed or understood."""


class SignatureRejected(CallbackRejected):
    """A callback whose signature is missing, wrong or too old: nobody we trust sent it."""


class Provider(Protocol):
    name: str
    label: str

    @property
    def configured(self) -> bool: ...

    def submit(self, inputs: RenderInputs) -> str:
        """Start a render and return the provider's task id."""

    def fetch(self, task_id: str) -> TaskState:
        """The task as the provider sees it now."""

    def parse_callback(self, body: bytes, headers: dict[str, str]) -> TaskState:
        """What a callback delivery claims. Raises CallbackRejected."""

    def cancel(self, task_id: str) -> None:
        """Ask the provider to stop (a no-op where the provider cannot)."""

    def check_connection(self) -> str:
        """Make a free call that proves the key works; say what it showed, for an admin."""
