"""The embedded worker may be stopped and started again in one process, quietly."""

import functools
import logging

import dramatiq
import pytest

from avatars import tasks, worker
from tests.helpers.settling import MessagesDue


@pytest.fixture
def quick_workers(monkeypatch, settings) -> None:
    """Workers whose idle threads wake often, so stopping one is quick."""
    settings.RECONCILE_EVERY_SECONDS = 3600
    monkeypatch.setattr(dramatiq, "Worker", functools.partial(dramatiq.Worker, worker_timeout=100))


def test_starting_and_stopping_again_logs_no_critical_and_no_duplicate_middleware(
    transactional_db, quick_workers, caplog
):
    broker = dramatiq.get_broker()
    worker.start_embedded_worker(threads=1)
    worker.stop_embedded_worker()
    middleware = list(broker.middleware)
    caplog.set_level(logging.WARNING)

    for _ in range(3):
        started = worker.start_embedded_worker(threads=1)
        assert started is not None
        assert worker.start_embedded_worker(threads=1) is started  # idempotent
        worker.stop_embedded_worker()

    alarming = [
        f"{record.levelname} {record.getMessage()}"
        for record in caplog.records
        if record.levelno >= logging.CRITICAL or "middleware of the same type" in record.message
    ]
    assert alarming == []
    assert broker.middleware == middleware


def test_a_worker_started_again_still_consumes(transactional_db, quick_workers):
    broker = dramatiq.get_broker()
    for _ in range(2):
        worker.start_embedded_worker(threads=1)
        worker.stop_embedded_worker()
    due = MessagesDue()
    broker.add_middleware(due)
    worker.start_embedded_worker(threads=1)  # it sends a reconcile_jobs of its own too
    try:
        tasks.reconcile_jobs.send()
        assert due.due >= 1
        due.wait(timeout=30)
    finally:
        worker.stop_embedded_worker()
        broker.middleware.remove(due)
