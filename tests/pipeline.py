"""Fixtures for the render pipeline, end to end over real HTTP on 127.0.0.1.

The live server serves the app and the sandbox provider (the Crun contract, with its
misbehaviours). Messages go through the embedded worker on the in-process broker, or,
with the `redis` broker, through Redis to `dramatiq` worker processes of their own that
a test may kill -9.
"""

import contextlib
import functools
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import dramatiq
import pytest
import redis
from django.db import connection
from dramatiq.brokers.redis import RedisBroker

from avatars import render, worker
from avatars.models import JobStatus, RenderJob
from avatars.sandbox.service import SandboxService, service

ROOT = Path(__file__).resolve().parent.parent
REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
FAST = {
    "POLL_FIRST_SECONDS": 0.2,
    "POLL_MAX_SECONDS": 1.0,
    "SUBMIT_UNANSWERED_GRACE_SECONDS": 3,
    "RECONCILE_EVERY_SECONDS": 3600,
}


@pytest.fixture
def sandbox(live_server, settings, tmp_path) -> Iterator[SandboxService]:
    """The sandbox provider behind the live server, with its tasks in a folder of this test's."""
    settings.PUBLIC_BASE_URL = live_server.url
    settings.SANDBOX_BASE_URL = f"{live_server.url}/sandbox"
    settings.SANDBOX_ROOT = tmp_path / "sandbox"
    settings.FETCH_ALLOW_PRIVATE = True
    for name, value in FAST.items():
        setattr(settings, name, value)
    yield service


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
    sandbox, worker_timeout, worker_threads, monkeypatch
) -> Iterator[dramatiq.Worker]:
    broker = dramatiq.get_broker()
    broker.flush_all()
    with monkeypatch.context() as patch:
        patch.setattr(
            dramatiq, "Worker", functools.partial(dramatiq.Worker, worker_timeout=worker_timeout)
        )
        started = worker.start_embedded_worker(threads=worker_threads)
    yield started
    worker.stop_embedded_worker()
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
def redis_workers(sandbox, live_server) -> Iterator[WorkerProcesses]:
    """Send messages through Redis and consume them in separate worker processes."""
    with worker_processes_on(REDIS_URL, live_server.url) as processes:
        yield processes


@contextlib.contextmanager
def worker_processes_on(redis_url: str, public_url: str) -> Iterator[WorkerProcesses]:
    """Messages through the Redis at `redis_url` (flushed), to worker processes that reach
    this process's live server at `public_url`."""
    import avatars.tasks  # noqa: F401  (declares the actors on the broker they are moved from)

    redis.Redis.from_url(redis_url).flushdb()
    previous = dramatiq.get_broker()
    broker = RedisBroker(url=redis_url, middleware=list(previous.middleware))
    for actor_name in previous.get_declared_actors():
        actor = previous.get_actor(actor_name)
        actor.broker = broker
        broker.declare_actor(actor)
    dramatiq.set_broker(broker)
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
        "PUBLIC_BASE_URL": public_url,
        "SANDBOX_BASE_URL": f"{public_url}/sandbox",
        "FETCH_ALLOW_PRIVATE": "1",
        "MEDIA_ROOT": str(Path(sandbox_media_root())),
        **{name: str(value) for name, value in FAST.items()},
    }
    processes = WorkerProcesses(env)
    try:
        yield processes
    finally:
        processes.stop_all()
        for actor_name in broker.get_declared_actors():
            broker.get_actor(actor_name).broker = previous
        dramatiq.set_broker(previous)
        broker.close()


def sandbox_media_root() -> str:
    from django.conf import settings

    return str(settings.MEDIA_ROOT)


def wait_for(
    job: RenderJob, done: Callable[[RenderJob], bool] | None = None, timeout: float = 60.0
) -> RenderJob:
    """Reload the job until it is final (or `done` says so); fail with its timeline if not."""
    done = done or (lambda j: j.is_final)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        job.refresh_from_db()
        if done(job):
            return job
        time.sleep(0.1)
    timeline = "\n".join(
        f"{e.created_at:%H:%M:%S.%f} {e.actor}: {e.from_status}->{e.to_status} {e.message}"
        for e in job.events.all()
    )
    raise AssertionError(f"job {job.pk} is still {job.status} after {timeout} s:\n{timeline}")


def request_speech(assets, team, provider: str = "sandbox", **options) -> RenderJob:
    """Queue a script render of a consented avatar, like a marketer would."""
    from django.utils import timezone

    avatar = assets.avatar(
        team,
        "Speaker",
        consent_person="A. Person",
        consent_scope="any",
        consent_expires=timezone.localdate() + timezone.timedelta(days=90),
    )
    script = assets.script(team, "Hello", "Hello {{name}}, this is a test render.")
    voice = assets.voice(team)
    request = render.RenderRequest(
        team=team,
        user=None,
        avatar=avatar,
        script=script,
        voice=voice,
        variables={"name": "Ada"},
        provider=provider,
        **options,
    )
    return render.request_render(request)


def status_path(job: RenderJob) -> list[str]:
    return [e.to_status for e in job.events.filter(kind="status").order_by("created_at", "pk")]


__all__ = ["JobStatus"]
