"""Prometheus metrics, computed from the database and the broker at scrape time.

Every web process answers with the same numbers, so no multiprocess mode is needed. Counts
of provider calls come from ProviderCall rows, which are pruned after a week: they are
exposed as gauges over a recent window, never as counters that would go backwards.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterator, Mapping
from typing import Any

from django.conf import settings
from django.db.models import Count, Q, QuerySet, Sum
from django.utils import timezone
from prometheus_client.core import GaugeHistogramMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from avatars import credits
from avatars.catalog import PROVIDER_LABELS
from avatars.models import CreditEntry, JobStatus, ProviderCall, RenderJob

from . import heartbeat, queues

LATENCY_BUCKETS = (0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0)
PREFIX = "avatar_studio"


class StudioCollector(Collector):
    def __init__(self, now: datetime.datetime | None = None) -> None:
        self.now = now

    def collect(self) -> Iterator[Metric]:
        now = self.now or timezone.now()
        since = now - datetime.timedelta(seconds=settings.METRICS_WINDOW_SECONDS)
        yield from self.jobs()
        yield from self.provider_calls(since)
        yield from self.workers(now)
        yield from self.queue_depths()
        yield from self.money(now)
        window = GaugeMetricFamily(
            f"{PREFIX}_metrics_window_seconds",
            "The recent window that the provider call metrics count over.",
            value=settings.METRICS_WINDOW_SECONDS,
        )
        yield window

    def jobs(self) -> Iterator[Metric]:
        counts = {
            (row["status"], row["provider"]): row["n"]
            for row in RenderJob.objects.values("status", "provider")
            .annotate(n=Count("pk"))
            .order_by()
        }
        # Every known pair is there, zero or not, so that alerts see a series drop to 0.
        for status in JobStatus.values:
            for provider in PROVIDER_LABELS:
                counts.setdefault((status, provider), 0)
        family = GaugeMetricFamily(
            f"{PREFIX}_jobs", "Render jobs by status and provider.", labels=["status", "provider"]
        )
        for (status, provider), n in sorted(counts.items()):
            family.add_metric([status, provider], n)
        yield family

    def provider_calls(self, since: datetime.datetime) -> Iterator[Metric]:
        recent = ProviderCall.objects.filter(created_at__gte=since)
        calls = GaugeMetricFamily(
            f"{PREFIX}_provider_calls",
            "Calls to each provider's API in the recent window, by operation and outcome.",
            labels=["provider", "operation", "outcome"],
        )
        for row in recent.values("provider", "operation", "ok").annotate(n=Count("pk")).order_by():
            outcome = "ok" if row["ok"] else "error"
            calls.add_metric([row["provider"], row["operation"], outcome], row["n"])
        yield calls
        errors = GaugeMetricFamily(
            f"{PREFIX}_provider_errors",
            "Failed calls to each provider's API in the recent window, by error code.",
            labels=["provider", "error_code"],
        )
        for failed in (
            recent.filter(ok=False)
            .values("provider", "error_code")
            .annotate(n=Count("pk"))
            .order_by()
        ):
            errors.add_metric([failed["provider"], failed["error_code"]], failed["n"])
        yield errors
        yield self.latency(recent)

    def latency(self, recent: QuerySet[ProviderCall]) -> Metric:
        family = GaugeHistogramMetricFamily(
            f"{PREFIX}_provider_latency_seconds",
            "How long calls to each provider's API took, over the recent window.",
            labels=["provider", "operation"],
        )
        buckets = {
            f"le_{i}": Count("pk", filter=Q(duration__lte=b)) for i, b in enumerate(LATENCY_BUCKETS)
        }
        rows = (
            recent.filter(duration__isnull=False)
            .values("provider", "operation")
            .annotate(total=Count("pk"), seconds=Sum("duration"), **buckets)
            .order_by()
        )
        for row in rows:
            counts: Mapping[str, Any] = row  # its bucket columns are named at run time
            family.add_metric(
                [row["provider"], row["operation"]],
                buckets=[
                    *((str(b), counts[f"le_{i}"]) for i, b in enumerate(LATENCY_BUCKETS)),
                    ("+Inf", row["total"]),
                ],
                gsum_value=row["seconds"] or 0.0,
            )
        return family

    def workers(self, now: datetime.datetime) -> Iterator[Metric]:
        alive: dict[str, int] = dict.fromkeys(heartbeat.expected_queues(), 0)
        for worker in heartbeat.workers(now):
            for queue in worker.queues:
                alive[queue] = alive.get(queue, 0) + worker.alive
        family = GaugeMetricFamily(
            f"{PREFIX}_workers_alive",
            "Worker processes with a recent heartbeat, by queue they consume.",
            labels=["queue"],
        )
        for queue, n in sorted(alive.items()):
            family.add_metric([queue], n)
        yield family

    def queue_depths(self) -> Iterator[Metric]:
        up = GaugeMetricFamily(f"{PREFIX}_broker_up", "Whether the broker answered the scrape.")
        depth = GaugeMetricFamily(
            f"{PREFIX}_queue_messages",
            "Messages waiting on each queue: ready now, or delayed (retries, scheduled polls).",
            labels=["queue", "state"],
        )
        try:
            counts = queues.depths(heartbeat.expected_queues())
        except Exception:
            up.add_metric([], 0)
        else:
            up.add_metric([], 1)
            for (queue, state), n in sorted(counts.items()):
                depth.add_metric([queue, state], n)
        yield up
        yield depth

    def money(self, now: datetime.datetime) -> Iterator[Metric]:
        K = CreditEntry.Kind
        rows = (
            CreditEntry.objects.values("team__slug")
            .annotate(
                held=Sum("amount", filter=Q(kind__in=credits.HOLD_KINDS)),
                charged=Sum(
                    "amount", filter=Q(kind=K.CHARGE, created_at__gte=credits.month_start(now))
                ),
            )
            .order_by()
        )
        held = GaugeMetricFamily(
            f"{PREFIX}_credits_held_usd",
            "Open holds: the estimates of renders not yet finished, by team.",
            labels=["team"],
        )
        charged = GaugeMetricFamily(
            f"{PREFIX}_credits_charged_this_month_usd",
            "Charges for finished renders since the start of this month, by team.",
            labels=["team"],
        )
        for row in rows:
            held.add_metric([row["team__slug"]], float(row["held"] or 0))
            charged.add_metric([row["team__slug"]], float(row["charged"] or 0))
        yield held
        yield charged
