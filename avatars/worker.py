"""The embedded worker: with no BROKER_URL, this process consumes its own messages.

It also runs the reconcile sweep, once at start-up and then periodically, so a job that
was in flight when the process stopped is picked up again. It may be stopped and started
again in one process (the tests do, for every test that renders).
"""

from __future__ import annotations

import atexit
import logging
import threading
import weakref
from dataclasses import dataclass

import dramatiq
from django.conf import settings
from dramatiq.brokers.stub import StubBroker

log = logging.getLogger(__name__)


@dataclass
class _Running:
    worker: dramatiq.Worker
    sweeper: threading.Thread
    stopping: threading.Event


_lock = threading.Lock()
_running: _Running | None = None
# Brokers whose process_boot was announced. Middleware start their own threads then (the
# time limit's watcher, for one), which can be started only once in a process.
_booted: weakref.WeakSet[dramatiq.Broker] = weakref.WeakSet()
_exit_registered = False


def start_embedded_worker(threads: int | None = None) -> dramatiq.Worker | None:
    """Start consuming in this process if messages stay here (idempotent)."""
    global _running, _exit_registered
    broker = dramatiq.get_broker()
    if not isinstance(broker, StubBroker):
        return None
    with _lock:
        if _running is None:
            import avatars.tasks  # noqa: F401  (declares the actors on the broker)

            if broker not in _booted:
                broker.emit_after("process_boot")
                _booted.add(broker)
            worker = dramatiq.Worker(
                broker, worker_threads=threads or settings.EMBEDDED_WORKER_THREADS
            )
            worker.start()
            _running = _Running(worker, *_start_sweeper())
            if not _exit_registered:
                atexit.register(stop_embedded_worker)
                _exit_registered = True
            log.info("embedded worker started with %s threads", worker.worker_threads)
        return _running.worker


def stop_embedded_worker() -> None:
    global _running
    with _lock:
        running, _running = _running, None
    if running is None:
        return
    running.stopping.set()
    running.sweeper.join()
    running.worker.stop()
    _detach(running.worker)


def _detach(worker: dramatiq.Worker) -> None:
    """Take the stopped worker's own middleware off its broker.

    A Dramatiq worker adds a middleware to its broker when it starts (it adds consumers as
    queues are declared) and never removes it: left there, it would keep the stopped worker
    reachable, and the next worker on this broker would be warned of a duplicate middleware.
    """
    broker = worker.broker
    kept = [m for m in broker.middleware if getattr(m, "worker", None) is not worker]
    broker.middleware[:] = kept


def _start_sweeper() -> tuple[threading.Thread, threading.Event]:
    from avatars.tasks import reconcile_jobs

    stopping = threading.Event()

    def sweep() -> None:
        reconcile_jobs.send()
        while not stopping.wait(settings.RECONCILE_EVERY_SECONDS):
            reconcile_jobs.send()

    sweeper = threading.Thread(target=sweep, name="reconcile-sweeper", daemon=True)
    sweeper.start()
    return sweeper, stopping
