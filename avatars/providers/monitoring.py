"""Every call a provider adapter makes to the network, told to whoever watches.

The adapters know nothing of where the calls are kept: the app connects an observer at
start-up (`avatars.observability.provider_calls`), and the registry wraps every adapter it
builds in `Monitored`.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from .base import Provider, ProviderError, RenderInputs, TaskState
from .ratelimit import Throttled

T = TypeVar("T")


@dataclass(frozen=True)
class Call:
    """One finished call to a provider's API (a ProviderCall row, field for field)."""

    provider: str
    operation: str  # submit, fetch, cancel or check
    ok: bool
    duration: float  # seconds
    error_code: str = ""
    message: str = ""


Observer = Callable[[Call], None]
_observers: list[Observer] = []


def observe(observer: Observer) -> None:
    """Have `observer` told of every provider call from now on (once, however often asked)."""
    if observer not in _observers:
        _observers.append(observer)


def _tell(call: Call) -> None:
    for observer in _observers:
        observer(call)


class Monitored:
    """A provider adapter whose submit, fetch, cancel and check are each told to the observers."""

    def __init__(self, provider: Provider) -> None:
        self.provider = provider

    def __getattr__(self, name: str) -> Any:
        return getattr(self.provider, name)

    def submit(self, inputs: RenderInputs) -> str:
        return self._watch("submit", self.provider.submit, inputs)

    def fetch(self, task_id: str) -> TaskState:
        return self._watch("fetch", self.provider.fetch, task_id)

    def cancel(self, task_id: str) -> None:
        return self._watch("cancel", self.provider.cancel, task_id)

    def check_connection(self) -> str:
        return self._watch("check", self.provider.check_connection)

    def parse_callback(self, body: bytes, headers: dict[str, str]) -> TaskState:
        return self.provider.parse_callback(body, headers)

    def result_headers(self, url: str) -> dict[str, str]:
        return self.provider.result_headers(url)

    def _watch(self, operation: str, call: Callable[..., T], *args: Any) -> T:
        name = self.provider.name
        started = time.monotonic()
        try:
            result = call(*args)
        except Throttled:
            raise  # our own limiter held the request back: nothing was sent, nothing failed
        except ProviderError as error:
            elapsed = time.monotonic() - started
            _tell(Call(name, operation, False, elapsed, error.code, error.message))
            raise
        _tell(Call(name, operation, True, time.monotonic() - started))
        return result
