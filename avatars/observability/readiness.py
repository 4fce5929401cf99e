"""Can this process do its work? The database, the broker and the media storage, each probed
with a short timeout and explained in words when it fails."""

from __future__ import annotations

import copy
import os
from collections.abc import Callable
from typing import Any

import dramatiq
from django.core.files.storage import default_storage
from django.db import connection
from dramatiq.brokers.rabbitmq import RabbitmqBroker
from dramatiq.brokers.redis import RedisBroker

TIMEOUT_SECONDS = 3


def database() -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return f"{connection.vendor} answered"


def broker() -> str:
    current = dramatiq.get_broker()
    if isinstance(current, RedisBroker):
        # redis-py's connections time out after 5 s by default.
        current.client.ping()
        return "Redis answered"
    if isinstance(current, RabbitmqBroker):
        import pika

        # One pika parameters object, or a list of them for several URLs (pika has no types).
        configured: Any = current.parameters
        parameters = copy.copy(configured[0] if isinstance(configured, list) else configured)
        parameters.socket_timeout = TIMEOUT_SECONDS
        parameters.connection_attempts = 1
        pika.BlockingConnection(parameters).close()
        return "RabbitMQ answered"
    return "in-process queue (embedded worker)"


def media_storage() -> str:
    storage = default_storage
    bucket = getattr(storage, "bucket", None)
    if bucket is not None:
        bucket.meta.client.head_bucket(Bucket=bucket.name)
        return f"bucket {bucket.name} reachable"
    location = getattr(storage, "location", None)
    if location is not None:
        if not os.path.isdir(location):
            raise OSError(f"{location} is not a directory")
        if not os.access(location, os.W_OK | os.X_OK):
            raise OSError(f"{location} is not writable")
        return "directory writable"
    storage.exists("readyz")
    return "storage answered"


CHECKS: dict[str, Callable[[], str]] = {
    "database": database,
    "broker": broker,
    "media_storage": media_storage,
}


def readiness() -> dict[str, dict[str, object]]:
    """Every check by name: {"ok": bool, "detail": what it saw, or why it failed}."""
    results: dict[str, dict[str, object]] = {}
    for name, check in CHECKS.items():
        try:
            results[name] = {"ok": True, "detail": check()}
        except Exception as error:
            results[name] = {"ok": False, "detail": f"{type(error).__name__}: {error}"}
    return results
