"""What the HTTP provider clients share: the network failing, and HTTP codes, as typed errors."""

from __future__ import annotations

import json
from dataclasses import replace
from typing import Any, Protocol

import httpx

from avatars.httputil import retry_after_seconds

from . import base, ratelimit, webhooks

TIMEOUT = httpx.Timeout(connect=5.0, read=30.0, write=30.0, pool=5.0)
DEFAULT_RETRY_AFTER = 10.0


class Named(Protocol):
    name: str
    # How messages for people name the provider and its account.
    who: str
    account: str


class BearerProvider:
    """A provider reached with a bearer token, whose webhooks are signed with a shared secret."""

    def __init__(
        self,
        base_url: str,
        token: str,
        webhook_secret: str = "",
        *,
        timeout: httpx.Timeout = TIMEOUT,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.token = token
        self.webhook_secret = webhook_secret
        self.client = httpx.Client(
            base_url=self.base_url, timeout=timeout, headers={"Authorization": f"Bearer {token}"}
        )

    @property
    def configured(self) -> bool:
        return bool(self.token)

    def parse_callback(self, body: bytes, headers: dict[str, str]) -> base.TaskState:
        """A signed webhook (Standard Webhooks), verified before anything in it is read."""
        delivery_id = webhooks.verify(body, headers, self.webhook_secret)
        try:
            document = json.loads(body)
        except (ValueError, RecursionError):
            raise base.CallbackRejected("The callback body is not JSON.") from None
        try:
            state = self.task_state(self.callback_task(document))
        except base.ProtocolError as exc:
            raise base.CallbackRejected(exc.message) from None
        return replace(state, delivery_id=delivery_id)

    def callback_task(self, document: Any) -> Any:
        """The task object inside a webhook body (by default, the body itself)."""
        return document

    def task_state(self, data: Any) -> base.TaskState:
        raise NotImplementedError

    def documented(self, response: httpx.Response, document: Any) -> dict[str, Any]:
        """A successful answer's JSON object, or a ProtocolError if it is anything else."""
        if not isinstance(document, dict):
            raise base.ProtocolError(
                f"{self.who} answered with something that is not its documented JSON.",
                status=response.status_code,
                detail=response.text[:300],
            )
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
    for name in ("token", "api_key", "webhook_secret"):
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

    A 429's delay is its Retry-After header, else `retry_hint` (read from the body by the
    caller), else a default.
    """
    who, quoted = provider.who, said(provider, message)
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
        header = retry_after_seconds(response.headers.get("Retry-After"))
        return base.RateLimited(
            f"{who} is limiting how fast we send renders.",
            retry_after=header if header is not None else (retry_hint or DEFAULT_RETRY_AFTER),
            **kwargs,
        )
    if code == 455:
        return base.Unavailable(f"{who} is down for maintenance.", **kwargs)
    if code == 501:
        return base.GenerationFailed(f"{who} could not generate this video.{quoted}", **kwargs)
    if code == 505:
        return model_unavailable(provider, message, status=code, detail=kwargs["detail"])
    if code >= 500:
        return base.Unavailable(f"{who} had a server error.{quoted}", **kwargs)
    return base.InvalidRequest(f"{who} refused the request (HTTP {code}).{quoted}", **kwargs)


def model_unavailable(provider: Named, message: str, **kwargs: Any) -> base.FeatureDisabled:
    return base.FeatureDisabled(
        f"This model is switched off on the {provider.account} account. An administrator "
        f"needs to enable it.{said(provider, message)}",
        **kwargs,
    )


def number(value: object) -> float | None:
    if value is None or isinstance(value, bool):
        return None
    try:
        return float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None


def whole(value: object, default: int) -> int:
    try:
        return int(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return default
