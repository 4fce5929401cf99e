"""Fixtures for the render pipeline, end to end over real HTTP on 127.0.0.1.

`live_app` is the app on the live server, where providers call back and fetch inputs, with
quick polling. `sandbox` adds the sandbox provider it serves (the real offline renderer, well
behaved); the fakes of tests/fakes/ stand in for the paid providers and misbehave on demand.
Messages go through the embedded worker on the in-process broker, or, with `redis_workers`,
through Redis to `dramatiq` worker processes of their own that a test may kill -9.
"""

import contextlib
import functools
import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import dramatiq
import httpx
import pytest
import redis
from django.conf import settings as django_settings
from django.db import connection
from dramatiq.brokers.redis import RedisBroker
from pytest_django.live_server_helper import LiveServer

from avatars import worker
from avatars.media_urls import media_url
from tests.brokers import using_broker
from tests.helpers import sandbox_api
from tests.helpers.settling import MessagesDue

ROOT = Path(__file__).resolve().parent.parent
REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
FAST = {
    "POLL_FIRST_SECONDS": 0.2,
    "POLL_MAX_SECONDS": 1.0,
    "SUBMIT_UNANSWERED_GRACE_SECONDS": 3,
    "RECONCILE_EVERY_SECONDS": 3600,
}
SANDBOX_API_KEY = "sandbox-test-key"
# What worker processes are told as this process knows it: where the app and providers are.
PASSED_ON = (
    "PUBLIC_BASE_URL",
    "SANDBOX_BASE_URL",
    "SANDBOX_API_KEY",
    "CRUN_BASE_URL",
    "CRUN_API_KEY",
)


@pytest.fixture
def live_app(live_server, settings) -> LiveServer:
    """The app on the live server: providers call it back there and fetch its signed media
    links (on loopback, so the fetcher may reach private addresses), and it polls quickly."""
    settings.PUBLIC_BASE_URL = live_server.url
    settings.FETCH_ALLOW_PRIVATE = True
    for name, value in FAST.items():
        setattr(settings, name, value)
    return live_server


@pytest.fixture
def sandbox(live_app, settings, tmp_path) -> str:
    """The sandbox provider the live server serves, with a key of its own; its base URL."""
    settings.SANDBOX_BASE_URL = f"{live_app.url}/sandbox"
    settings.SANDBOX_ROOT = tmp_path / "sandbox"
    settings.SANDBOX_API_KEY = SANDBOX_API_KEY
    return settings.SANDBOX_BASE_URL


@pytest.fixture
def sandbox_http(sandbox) -> Iterator[httpx.Client]:
    """The sandbox's HTTP API with its key, as its adapter calls it."""
    with sandbox_api.client() as client:
        yield client


@pytest.fixture
def portrait_url(acme, asset_factory) -> str:
    """A signed link to a portrait in our own media, as a render gives the provider."""
    return media_url(asset_factory.avatar(acme).image, absolute=True)


@pytest.fixture
def worker_timeout() -> int:
    """Milliseconds between wake-ups of the embedded worker's idle threads (Dramatiq's default).

    It is also the grain of delayed messages, and stopping the worker waits up to twice
    this long. A module may override this fixture to make both shorter.
    """
    return 1000


@pytest.fixture
def worker_threads() -> int:
    """Threads of the embedded worker; a module may override this fixture."""
    return 4


@pytest.fixture
def embedded_worker(
    live_app, worker_timeout, worker_threads, monkeypatch
) -> Iterator[dramatiq.Worker]:
    broker = dramatiq.get_broker()
    broker.flush_all()
    due = MessagesDue()
    broker.add_middleware(due)  # for settle(), from before the first message
    with monkeypatch.context() as patch:
        patch.setattr(
            dramatiq, "Worker", functools.partial(dramatiq.Worker, worker_timeout=worker_timeout)
        )
        started = worker.start_embedded_worker(threads=worker_threads)
    assert started is not None, "the embedded worker runs on the in-process broker only"
    yield started
    worker.stop_embedded_worker()
    broker.middleware.remove(due)
    broker.flush_all()


class WorkerProcesses:
    """`dramatiq` worker processes on Redis, sharing the test database."""

    def __init__(self, env: dict[str, str]) -> None:
        self.env = env
        self.processes: list[subprocess.Popen] = []

    def start(self, threads: int = 2) -> subprocess.Popen:
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "dramatiq",
                "django_dramatiq.setup",
                "avatars.tasks",
                "--processes",
                "1",
                "--threads",
                str(threads),
            ],
            cwd=ROOT,
            env=self.env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        self.processes.append(process)
        return process

    def kill(self, process: subprocess.Popen) -> None:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=10)

    def stop_all(self) -> None:
        for process in self.processes:
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
                try:
                    process.wait(timeout=15)
                except subprocess.TimeoutExpired:
                    os.killpg(process.pid, signal.SIGKILL)


@pytest.fixture
def redis_workers(sandbox, fake_crun, live_app) -> Iterator[WorkerProcesses]:
    """Send messages through Redis and consume them in separate worker processes, which
    reach the sandbox and the fake Crun as this process does."""
    with worker_processes_on(REDIS_URL) as processes:
        yield processes


@contextlib.contextmanager
def worker_processes_on(redis_url: str) -> Iterator[WorkerProcesses]:
    """Messages through the Redis at `redis_url` (flushed), to worker processes set up as
    this process is now: its database, its live server, its providers."""
    redis.Redis.from_url(redis_url).flushdb()
    moved = RedisBroker(url=redis_url, middleware=list(dramatiq.get_broker().middleware))
    database = connection.settings_dict
    url = (
        f"sqlite:///{database['NAME']}"
        if database["ENGINE"].endswith("sqlite3")
        else f"postgres://{database['USER']}@{database['HOST']}:{database['PORT']}/{database['NAME']}"
    )
    env = {
        **os.environ,
        "BROKER_URL": redis_url,
        "DATABASE_URL": url,
        "FETCH_ALLOW_PRIVATE": "1",
        "MEDIA_ROOT": str(django_settings.MEDIA_ROOT),
        **{name: str(getattr(django_settings, name, "")) for name in PASSED_ON},
        **{name: str(value) for name, value in FAST.items()},
    }
    processes = WorkerProcesses(env)
    with using_broker(moved):
        try:
            yield processes
        finally:
            processes.stop_all()
