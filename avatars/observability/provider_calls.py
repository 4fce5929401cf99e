"""The provider calls kept for the admin's health page and the metrics: recorded as the
providers report them (`avatars.providers.monitoring`), counted, and forgotten after a week."""

from __future__ import annotations

import dataclasses
import datetime
from collections.abc import Callable
from dataclasses import dataclass

from django.db.models import Count, Q
from django.utils import timezone

from avatars.models import ProviderCall
from avatars.providers import monitoring

KEEP = datetime.timedelta(days=7)


def connect() -> None:
    """Keep every provider call from now on (the app does this at start-up)."""
    monitoring.observe(record)


def record(call: monitoring.Call) -> None:
    ProviderCall.objects.create(**dataclasses.asdict(call))


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
    hour_ago = timezone.now() - datetime.timedelta(hours=1)
    counts = {
        row["provider"]: (row["calls"], row["errors"])
        for row in ProviderCall.objects.filter(created_at__gte=hour_ago)
        .values("provider")
        .annotate(calls=Count("pk"), errors=Count("pk", filter=Q(ok=False)))
        .order_by()
    }
    rows = []
    for name, label in labels.items():
        recent = ProviderCall.objects.filter(provider=name).order_by("-created_at")
        success = recent.filter(ok=True).values_list("created_at", flat=True).first()
        failure = recent.filter(ok=False).values_list("created_at", "message").first()
        last_error, last_error_message = failure if failure is not None else (None, "")
        calls, errors = counts.get(name, (0, 0))
        rows.append(
            Health(
                name=name,
                label=label,
                configured=configured(name),
                calls=calls,
                errors=errors,
                last_success=success,
                last_error=last_error,
                last_error_message=last_error_message,
            )
        )
    return rows


def prune(now: datetime.datetime | None = None) -> int:
    """Forget the calls older than a week; how many were forgotten."""
    cutoff = (now or timezone.now()) - KEEP
    return ProviderCall.objects.filter(created_at__lt=cutoff).delete()[0]
