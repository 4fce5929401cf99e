"""The embedded worker: with no BROKER_URL, this process consumes its own messages.

It also runs the reconcile sweep, once at start-up and then periodically, so a job that
was in flight when the process stopped is picked up again.
"""

import atexit
import logging
import threading

import dramatiq
from django.conf import settings
from dramatiq.brokers.stub import StubBroker

log = logging.getLogger(__name__)
_lock = threading.Lock()
_worker: dramatiq.Worker | None = None
_stopping = threading.Event()


def start_embedded_worker(threads: int | None = None) -> dramatiq.Worker | None:
    """Start consuming in this process if messages stay here (idempotent)."""
    global _worker
    broker = dramatiq.get_broker()
    if not isinstance(broker, StubBroker):
        return None
    with _lock:
        if _worker is None:
            import avatars.tasks  # noqa: F401  (declares the actors on the broker)

            broker.emit_after("process_boot")
            _worker = dramatiq.Worker(
                broker, worker_threads=threads or settings.EMBEDDED_WORKER_THREADS
            )
            _worker.start()
            _stopping.clear()
            atexit.register(stop_embedded_worker)
            _start_sweeper()
            log.info("embedded worker started with %s threads", _worker.worker_threads)
    return _worker


def stop_embedded_worker() -> None:
    global _worker
    with _lock:
        _stopping.set()
        if _worker is not None:
            _worker.stop()
            _worker = None


def _start_sweeper() -> None:
    from avatars.tasks import reconcile_jobs

    def sweep() -> None:
        reconcile_jobs.send()
        while not _stopping.wait(settings.RECONCILE_EVERY_SECONDS):
            reconcile_jobs.send()

    threading.Thread(target=sweep, name="reconcile-sweeper", daemon=True).start()
