"""What the HTTP provider clients share: one base adapter, the network failing, and HTTP codes
as typed errors."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import replace
from typing import Any, ClassVar, Protocol

import httpx

from avatars.catalog import PROVIDER_LABELS
from avatars.httputil import retry_after

from . import base, ratelimit, webhooks
from .base import TaskState, TaskStatus

TIMEOUT = httpx.Timeout(connect=5.0, read=30.0, write=30.0, pool=5.0)
DEFAULT_RETRY_AFTER = 10.0


class Named(Protocol):
    name: str
    # How messages for people name the provider and its account.
    who: str
    account: str


class HttpProvider:
    """A provider's API over HTTP, reached with our key.

    A subclass says how its API is reached (`auth_headers`, `call`'s `error` and `answer`),
    what its task object looks like (`id_field`, `statuses`, `result_link` and the other
    task hooks) and how its callbacks are authenticated (`verify_callback`): everything a
    task object must be to be believed is checked here, once, for every provider.
    """

    name: str
    # How pages and messages name the provider and its account: as the catalog names it,
    # unless the adapter says otherwise.
    label: str
    who: str
    account: str
    # What the provider's API calls a render, for messages: "task", "video", "prediction".
    task_noun: ClassVar[str] = "task"
    id_field: ClassVar[str] = "id"
    # The provider's status names, normalised.
    statuses: ClassVar[Mapping[str, TaskStatus]] = {}
    # Whether a create carries an idempotency key, so that sending it again is harmless.
    idempotent_creates: ClassVar[bool] = False

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        for attribute in ("label", "who", "account"):
            if attribute not in vars(cls):
                setattr(cls, attribute, PROVIDER_LABELS[cls.name])

    def __init__(
        self,
        base_url: str,
        key: str,
        webhook_secret: str = "",
        *,
        timeout: httpx.Timeout = TIMEOUT,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.key = key
        self.webhook_secret = webhook_secret
        self.client = httpx.Client(
            base_url=self.base_url, timeout=timeout, headers=self.auth_headers()
        )

    @property
    def configured(self) -> bool:
        return bool(self.key)

    def auth_headers(self) -> dict[str, str]:
        """The headers that carry our key (by default, a bearer token)."""
        return {"Authorization": f"Bearer {self.key}"}

    def result_headers(self, url: str) -> dict[str, str]:
        """The headers a download of the result at `url` needs: none, by default."""
        return {}

    # --- calling the API ---------------------------------------------------------------

    def call(self, method: str, path: str, *, creates: bool = False, **kwargs: Any) -> Any:
        """One API call's documented answer; a typed ProviderError for anything else."""
        idempotent = creates and self.idempotent_creates
        response = send(
            self, self.client, method, path, creates=creates, idempotent=idempotent, **kwargs
        )
        document = json_body(response)
        error = self.error(response, document, creates=creates)
        if error is not None:
            raise error
        return self.answer(response, document)

    def error(
        self, response: httpx.Response, document: Any, *, creates: bool
    ) -> base.ProviderError | None:
        """The typed error an answer is, in this provider's error format; None for a success."""
        raise NotImplementedError

    def answer(self, response: httpx.Response, document: Any) -> Any:
        """What a successful answer carries (by default, its JSON object)."""
        return self.documented(response, document)

    def documented(self, response: httpx.Response, document: Any) -> dict[str, Any]:
        """A successful answer's JSON object, or a ProtocolError if it is anything else."""
        if not isinstance(document, dict):
            raise base.ProtocolError(
                f"{self.who} answered with something that is not its documented JSON.",
                status=response.status_code,
                detail=response.text[:300],
            )
        return document

    # --- the task object ---------------------------------------------------------------

    def task_state(self, data: Any) -> TaskState:
        """The provider's task object, checked against its contract and normalised.

        Raises ProtocolError for an object without its id, with a status nobody documented,
        or finished without a link to its video.
        """
        task_id, status = self.identify(data)
        video_url = self.result_link(data) if status == TaskStatus.SUCCEEDED else ""
        if status == TaskStatus.SUCCEEDED and not video_url:
            raise base.ProtocolError(
                f"{self.who} said the {self.task_noun} succeeded but gave no video link.",
                detail=repr(data)[:300],
            )
        error_code, error_message = self.failure(data) if status == TaskStatus.FAILED else ("", "")
        return TaskState(
            task_id=task_id,
            status=status,
            video_url=video_url,
            error_code=error_code,
            error_message=error_message,
            **self.task_details(data),
        )

    def identify(self, data: Any) -> tuple[str, TaskStatus]:
        """The task's id and normalised status, or a ProtocolError."""
        task_id = base.task_id_in(data, self.id_field)
        if task_id is None:
            raise base.ProtocolError(
                f"{self.who}'s answer about the {self.task_noun} did not match its documented "
                "form.",
                detail=repr(data)[:300],
            )
        raw = data.get("status")
        # Only strings are looked up: a list or object there is unhashable, not a status.
        status = self.statuses.get(raw) if isinstance(raw, str) else None
        if status is None:
            raise base.ProtocolError(
                f"{self.who} reported an unknown {self.task_noun} status {repr(raw)[:80]}.",
                detail=repr(data)[:300],
            )
        return task_id, status

    def result_link(self, data: dict[str, Any]) -> str:
        """The link to a finished task's video, or '' when the object gives none."""
        raise NotImplementedError

    def failure_reason(self, data: dict[str, Any]) -> object:
        """What the provider said about why a failed task failed."""
        return None

    def failure(self, data: dict[str, Any]) -> tuple[str, str]:
        """A failed task's error code and message for people."""
        said_why = said(self, self.failure_reason(data))
        return base.GenerationFailed.code, f"{self.who} could not generate this video.{said_why}"

    def task_details(self, data: dict[str, Any]) -> dict[str, Any]:
        """The TaskState fields only this provider reports (cost, duration, link expiry)."""
        return {}

    # --- callbacks ---------------------------------------------------------------------

    def parse_callback(self, body: bytes, headers: dict[str, str]) -> TaskState:
        """What an authenticated callback claims, verified before anything in it is read.

        A callback is only a hint that makes the job ask for the status: one that names a
        task in a known status but leaves out what a status answer must hold (the link of
        a finished video, as a thin event does) is taken as that hint.
        """
        delivery_id = self.verify_callback(body, headers)
        try:
            document = json.loads(body)
        except (ValueError, RecursionError):
            raise base.CallbackRejected("The callback body is not JSON.") from None
        task = self.callback_task(document)
        try:
            state = self.task_state(task)
        except base.ProtocolError:
            state = self.hint(task)
        return replace(state, delivery_id=delivery_id)

    def hint(self, data: Any) -> TaskState:
        """A callback's task as far as it can be read: its id and status, or CallbackRejected."""
        try:
            task_id, status = self.identify(data)
        except base.ProtocolError as exc:
            raise base.CallbackRejected(exc.message) from None
        return TaskState(task_id=task_id, status=status)

    def verify_callback(self, body: bytes, headers: Mapping[str, str]) -> str:
        """The delivery id of a callback whose Standard Webhooks signature is good; else
        SignatureRejected."""
        return webhooks.verify(body, headers, self.webhook_secret)

    def callback_task(self, document: Any) -> Any:
        """The task object inside a callback body (by default, the body itself)."""
        return document


def send(
    provider: Named,
    client: httpx.Client,
    method: str,
    path: str,
    *,
    creates: bool = False,
    idempotent: bool = False,
    **kwargs: Any,
) -> httpx.Response:
    """One request; a network failure becomes a typed error.

    A create that went out but got no answer may have started a render: NoAnswer, unless the
    create carried an idempotency key (`idempotent`), which makes sending it again harmless.
    """
    unanswered = (base.IdempotentNoAnswer if idempotent else base.NoAnswer) if creates else None
    who = provider.who
    ratelimit.acquire(provider)
    try:
        return client.request(method, path, **kwargs)
    except (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout) as exc:
        raise base.Unavailable(f"{who} could not be reached.", detail=str(exc)) from None
    except httpx.TimeoutException as exc:
        error = unanswered or base.Unavailable
        raise error(f"{who} did not answer in time.", detail=str(exc)) from None
    except httpx.HTTPError as exc:
        error = unanswered or base.Unavailable
        raise error(f"The connection to {who} broke off.", detail=str(exc)) from None


def json_body(response: httpx.Response) -> Any:
    """The answer's JSON, or None when it is not JSON at all."""
    try:
        return response.json()
    except (ValueError, RecursionError):
        return None


def redacted(provider: Named, text: str) -> str:
    """`text` without the provider's own credentials, which a provider may echo back."""
    for name in ("key", "webhook_secret"):
        secret = getattr(provider, name, "")
        if isinstance(secret, str) and len(secret) >= 8:
            text = text.replace(secret, "[redacted]")
    return text


def said(provider: Named, message: object) -> str:
    return f" {provider.who} said: “{redacted(provider, str(message))}”." if message else ""


def error_for(
    provider: Named,
    code: int,
    message: str,
    response: httpx.Response,
    *,
    retry_hint: float | None = None,
) -> base.ProviderError:
    """The typed error for an HTTP (or JSON) error code, in words for the people waiting.

    The wait a retryable error asks for is the answer's `retry-after-ms` or `Retry-After`
    header; a 429 without either waits `retry_hint` (read from the body by the caller), else
    a default.
    """
    who, quoted = provider.who, said(provider, message)
    wait = retry_after(response.headers)
    kwargs: dict[str, Any] = {"status": code, "detail": redacted(provider, response.text)[:300]}
    if code == 401:
        return base.AuthError(
            f"{who} refused our API key. An administrator needs to check it.{quoted}", **kwargs
        )
    if code == 403:
        return base.AuthError(
            f"{who} says our API key is disabled. An administrator needs to check it.{quoted}",
            **kwargs,
        )
    if code == 402:
        return base.InsufficientCredits(
            f"The {provider.account} account has run out of credits. An administrator needs to "
            f"top it up; this render was not charged.{quoted}",
            **kwargs,
        )
    if code == 404:
        return base.NotFound(f"{who} does not know this render.{quoted}", **kwargs)
    if code in (400, 422):
        return base.InvalidRequest(f"{who} refused the request as invalid.{quoted}", **kwargs)
    if code == 429:
        return base.RateLimited(
            f"{who} is limiting how fast we send renders.",
            retry_after=wait if wait is not None else (retry_hint or DEFAULT_RETRY_AFTER),
            **kwargs,
        )
    if code == 455:
        return base.Unavailable(f"{who} is down for maintenance.", retry_after=wait, **kwargs)
    if code == 501:
        return base.GenerationFailed(f"{who} could not generate this video.{quoted}", **kwargs)
    if code == 505:
        return model_unavailable(provider, message, status=code, detail=kwargs["detail"])
    if code >= 500:
        return base.Unavailable(f"{who} had a server error.{quoted}", retry_after=wait, **kwargs)
    return base.InvalidRequest(f"{who} refused the request (HTTP {code}).{quoted}", **kwargs)


def model_unavailable(provider: Named, message: str, **kwargs: Any) -> base.FeatureDisabled:
    return base.FeatureDisabled(
        f"This model is switched off on the {provider.account} account. An administrator "
        f"needs to enable it.{said(provider, message)}",
        **kwargs,
    )


def number(value: object) -> float | None:
    if value is None or isinstance(value, bool) or not isinstance(value, int | float | str):
        return None
    try:
        return float(value)
    except ValueError:
        return None


def whole(value: object, default: int) -> int:
    if not isinstance(value, int | float | str):
        return default
    try:
        return int(value)
    except (ValueError, OverflowError):
        return default
