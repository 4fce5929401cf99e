"""Worker liveness: every worker process records a heartbeat row, read by /healthz/workers.

The database is where every process can see every other one, whatever the broker (and
the embedded worker too).
"""

from __future__ import annotations

import datetime
import logging
import os
import socket
import threading
from dataclasses import dataclass

import dramatiq
from django.conf import settings
from django.db import connections
from django.utils import timezone
from dramatiq.common import q_name

log = logging.getLogger(__name__)
# Rows of processes gone this long are deleted by the beats of the living.
FORGET_AFTER = datetime.timedelta(days=1)


class Heartbeat(dramatiq.Middleware):
    """Dramatiq middleware: a thread per worker that beats every WORKER_HEARTBEAT_SECONDS."""

    def __init__(self) -> None:
        self._beaters: dict[int, _Beater] = {}

    def after_worker_boot(self, broker: dramatiq.Broker, worker: dramatiq.Worker) -> None:
        queues = worker.consumer_whitelist or broker.get_declared_queues()
        beater = _Beater(sorted({q_name(q) for q in queues}))
        self._beaters[id(worker)] = beater
        beater.start()

    def before_worker_shutdown(self, broker: dramatiq.Broker, worker: dramatiq.Worker) -> None:
        beater = self._beaters.pop(id(worker), None)
        if beater is not None:
            beater.stop()


class _Beater(threading.Thread):
    def __init__(self, queues: list[str]) -> None:
        super().__init__(name="worker-heartbeat", daemon=True)
        self.queues = queues
        self.host = socket.gethostname()
        self.pid = os.getpid()
        self.started_at = timezone.now()
        self.stopping = threading.Event()

    def run(self) -> None:
        try:
            while True:
                self.beat()
                if self.stopping.wait(settings.WORKER_HEARTBEAT_SECONDS):
                    break
            self.forget()
        finally:
            connections.close_all()

    def stop(self) -> None:
        self.stopping.set()
        self.join(timeout=10)

    def beat(self) -> None:
        from avatars.models import WorkerHeartbeat

        now = timezone.now()
        try:
            WorkerHeartbeat.objects.update_or_create(
                host=self.host,
                pid=self.pid,
                defaults={"queues": self.queues, "started_at": self.started_at, "beat_at": now},
            )
            WorkerHeartbeat.objects.filter(beat_at__lt=now - FORGET_AFTER).delete()
        except Exception:
            # A database outage must not stop the worker; its silence shows on /healthz/workers.
            log.warning("worker heartbeat could not be recorded", exc_info=True)
            connections.close_all()

    def forget(self) -> None:
        """A worker that stops cleanly takes its row with it: it is not a dead worker."""
        from avatars.models import WorkerHeartbeat

        try:
            WorkerHeartbeat.objects.filter(host=self.host, pid=self.pid).delete()
        except Exception:
            log.warning("worker heartbeat could not be removed", exc_info=True)


@dataclass(frozen=True)
class WorkerState:
    host: str
    pid: int
    queues: list[str]
    started_at: datetime.datetime
    beat_at: datetime.datetime
    alive: bool


def expected_queues() -> list[str]:
    """The queues the app's actors are declared on: each needs a live worker."""
    import avatars.tasks  # noqa: F401  (declares the actors)

    broker = dramatiq.get_broker()
    return sorted({broker.get_actor(name).queue_name for name in broker.get_declared_actors()})


def workers(now: datetime.datetime | None = None) -> list[WorkerState]:
    from avatars.models import WorkerHeartbeat

    stale_before = (now or timezone.now()) - datetime.timedelta(
        seconds=settings.WORKER_STALE_SECONDS
    )
    return [
        WorkerState(
            host=row.host,
            pid=row.pid,
            queues=list(row.queues),
            started_at=row.started_at,
            beat_at=row.beat_at,
            alive=row.beat_at >= stale_before,
        )
        for row in WorkerHeartbeat.objects.order_by("host", "pid")
    ]
