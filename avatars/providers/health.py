"""Every call a provider adapter makes to the network, counted for the admin's health page."""

from __future__ import annotations

import datetime
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from django.db.models import Count, Q
from django.utils import timezone

from .base import Provider, ProviderError, RenderInputs, TaskState
from .ratelimit import Throttled

T = TypeVar("T")
KEEP = datetime.timedelta(days=7)


class Monitored:
    """A provider adapter whose submit, fetch, cancel and check are each recorded."""

    def __init__(self, provider: Provider) -> None:
        self.provider = provider

    def __getattr__(self, name: str) -> Any:
        return getattr(self.provider, name)

    def submit(self, inputs: RenderInputs) -> str:
        return self._record("submit", self.provider.submit, inputs)

    def fetch(self, task_id: str) -> TaskState:
        return self._record("fetch", self.provider.fetch, task_id)

    def cancel(self, task_id: str) -> None:
        return self._record("cancel", self.provider.cancel, task_id)

    def check_connection(self) -> str:
        return self._record("check", self.provider.check_connection)

    def parse_callback(self, body: bytes, headers: dict[str, str]) -> TaskState:
        return self.provider.parse_callback(body, headers)

    def _record(self, operation: str, call: Callable[..., T], *args: Any) -> T:
        # Imported here: the models import the provider names (Team's choices) from this package.
        from avatars.models import ProviderCall

        started = time.monotonic()
        try:
            result = call(*args)
        except Throttled:
            raise  # our own limiter held the request back: nothing was sent, nothing failed
        except ProviderError as error:
            ProviderCall.objects.create(
                provider=self.provider.name,
                operation=operation,
                ok=False,
                error_code=error.code,
                message=error.message,
                duration=time.monotonic() - started,
            )
            raise
        ProviderCall.objects.create(
            provider=self.provider.name,
            operation=operation,
            ok=True,
            duration=time.monotonic() - started,
        )
        return result


@dataclass(frozen=True)
class Health:
    name: str
    label: str
    configured: bool
    calls: int = 0
    errors: int = 0
    last_success: datetime.datetime | None = None
    last_error: datetime.datetime | None = None
    last_error_message: str = ""

    @property
    def error_rate(self) -> int | None:
        """Per cent of the last hour's calls that failed; None without calls."""
        return round(self.errors * 100 / self.calls) if self.calls else None


def health(labels: dict[str, str], configured: Callable[[str], bool]) -> list[Health]:
    """One row per provider, in a fixed number of indexed queries whatever the history."""
    from avatars.models import ProviderCall

    hour_ago = timezone.now() - datetime.timedelta(hours=1)
    counts = {
        row["provider"]: row
        for row in ProviderCall.objects.filter(created_at__gte=hour_ago)
        .values("provider")
        .annotate(calls=Count("pk"), errors=Count("pk", filter=Q(ok=False)))
        .order_by()
    }
    rows = []
    for name, label in labels.items():
        recent = ProviderCall.objects.filter(provider=name).order_by("-created_at")
        success = recent.filter(ok=True).values_list("created_at", flat=True).first()
        failure = recent.filter(ok=False).values("created_at", "message").first() or {}
        count = counts.get(name, {})
        rows.append(
            Health(
                name=name,
                label=label,
                configured=configured(name),
                calls=count.get("calls", 0),
                errors=count.get("errors", 0),
                last_success=success,
                last_error=failure.get("created_at"),
                last_error_message=failure.get("message", ""),
            )
        )
    return rows


def prune(now: datetime.datetime | None = None) -> int:
    from avatars.models import ProviderCall

    cutoff = (now or timezone.now()) - KEEP
    return ProviderCall.objects.filter(created_at__lt=cutoff).delete()[0]
