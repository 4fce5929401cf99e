"""The one interface every provider adapter speaks; the rest of the app never sees their JSON."""

from __future__ import annotations

import datetime
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


# As long as RenderJob.provider_task_id holds; no control characters, which PostgreSQL cannot
# store (NUL) and which no provider's ids contain.
TASK_ID_MAX_LENGTH = 200


def task_id_in(data: Any, key: str) -> str | None:
    """The task id a provider's object gives under `key`, or None where it gives none we could
    store and send back."""
    value = data.get(key) if isinstance(data, dict) else None
    if not isinstance(value, str) or not 0 < len(value) <= TASK_ID_MAX_LENGTH:
        return None
    if not value.isprintable() or value != value.strip():
        return None
    return value


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
    # When the provider says `video_url` stops working, where it says.
    link_expires_at: datetime.datetime | None = None

    def link_expired(self, now: datetime.datetime | None = None) -> bool:
        """Whether the provider has said that its link to the video no longer works."""
        if self.link_expires_at is None:
            return False
        return self.link_expires_at <= (now or datetime.datetime.now(datetime.UTC))


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
    """A provider call that did not work. `message` is for the people who asked for the video.

    Each kind says, in its class line, what may follow it: `retryable` (trying the same call
    later may work), `safe_to_resubmit` (a second submit cannot start a second paid render,
    because the provider surely started none or the create carried an idempotency key) and
    `falls_back` (the provider said it cannot take the render now, so once the retries are
    spent the job may move to the next provider in its team's list).
    """

    code: ClassVar[str] = "provider_error"
    retryable: ClassVar[bool] = False
    safe_to_resubmit: ClassVar[bool] = False
    falls_back: ClassVar[bool] = False

    def __init_subclass__(
        cls,
        *,
        code: str = "",
        retryable: bool | None = None,
        safe_to_resubmit: bool | None = None,
        falls_back: bool | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init_subclass__(**kwargs)
        if code:
            cls.code = code
        # A flag left unsaid is the parent's.
        for flag, value in (
            ("retryable", retryable),
            ("safe_to_resubmit", safe_to_resubmit),
            ("falls_back", falls_back),
        ):
            if value is not None:
                setattr(cls, flag, value)

    def __init__(
        self,
        message: str,
        *,
        status: int | None = None,
        detail: str = "",
        retry_after: float | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.status = status
        self.detail = detail
        # Seconds the provider asked us to wait before trying again, where it said.
        self.retry_after = retry_after


class AuthError(ProviderError, code="auth"):
    """The provider refused our key, or has it disabled."""


class InsufficientCredits(ProviderError, code="insufficient_credits"):
    """Our account at the provider has run out of credits."""


class InvalidRequest(ProviderError, code="invalid_request"):
    """The provider refused the request itself."""


class NotFound(ProviderError, code="not_found"):
    """The provider does not know the render asked about."""


class RateLimited(
    ProviderError, code="rate_limited", retryable=True, safe_to_resubmit=True, falls_back=True
):
    """The provider is limiting how fast we send; `retry_after` says for how long."""


class Unavailable(
    ProviderError, code="unavailable", retryable=True, safe_to_resubmit=True, falls_back=True
):
    """The provider cannot be reached or cannot serve now (maintenance, a server error)."""


class NoAnswer(Unavailable, code="no_answer", safe_to_resubmit=False, falls_back=False):
    """The request went out but no answer came back: the provider may or may not have acted."""


class IdempotentNoAnswer(NoAnswer, safe_to_resubmit=True):
    """No answer to a create that carried an idempotency key: sending it again returns the
    render it may have started, never a second one. Another provider would still be a second."""


class GenerationFailed(ProviderError, code="generation_failed"):
    """The provider tried and could not make this video."""


class FeatureDisabled(ProviderError, code="feature_disabled", falls_back=True):
    """The model is switched off on our account at this provider."""


class ProtocolError(ProviderError, code="protocol_error", retryable=True):
    """The provider answered something that does not match its documented contract."""


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

    def result_headers(self, url: str) -> dict[str, str]:
        """The headers a download of the result at `url` needs (our key, where the provider
        serves the video from its own API); none for a link that carries its own signature."""

    def check_connection(self) -> str:
        """Make a free call that proves the key works; say what it showed, for an admin."""
