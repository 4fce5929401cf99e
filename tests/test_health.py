"""/healthz, /readyz and /healthz/workers, with real workers, brokers and gunicorn."""

import datetime
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
import redis
from django.utils import timezone
from dramatiq.brokers.redis import RedisBroker

from avatars.models import WorkerHeartbeat
from tests.brokers import using_broker
from tests.helpers.ports import free_port
from tests.pipeline import REDIS_URL

ROOT = Path(__file__).resolve().parent.parent
QUEUES = ["polls", "stores", "submits"]


def test_healthz_answers_without_touching_the_database(client):
    # No `db` fixture: pytest-django would fail the request if the view queried.
    response = client.get("/healthz")

    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


def test_readyz_is_ready_with_database_broker_and_storage(client, db):
    response = client.get("/readyz")

    assert response.status_code == 200
    body = response.json()
    assert body["failed"] == []
    assert set(body["checks"]) == {"database", "broker", "media_storage"}


def test_readyz_is_ready_on_real_redis(client, db):
    with using_broker(RedisBroker(url=REDIS_URL)):
        response = client.get("/readyz")

    assert response.status_code == 200
    assert response.json()["checks"]["broker"] == {"ok": True, "detail": "Redis answered"}


def test_readyz_names_an_unreachable_broker_and_why(client, db):
    port = free_port()
    with using_broker(RedisBroker(url=f"redis://127.0.0.1:{port}/0")):
        response = client.get("/readyz")

    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "failing"
    assert body["failed"] == ["broker"]
    assert "Connection refused" in body["checks"]["broker"]["detail"]
    assert body["checks"]["database"]["ok"]


def test_readyz_names_missing_media_storage(client, db, settings, tmp_path):
    missing = tmp_path / "not-mounted"
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": missing},
        },
    }

    response = client.get("/readyz")

    assert response.status_code == 503
    assert response.json()["failed"] == ["media_storage"]
    assert "not-mounted is not a directory" in response.json()["checks"]["media_storage"]["detail"]


def beat(pid: int, queues: list[str], seconds_ago: float) -> WorkerHeartbeat:
    when = timezone.now() - datetime.timedelta(seconds=seconds_ago)
    return WorkerHeartbeat.objects.create(
        host="worker-1", pid=pid, queues=queues, started_at=when, beat_at=when
    )


def test_workers_fail_when_no_worker_ever_beat(client, db):
    response = client.get("/healthz/workers")

    assert response.status_code == 503
    assert response.json()["queues_without_live_worker"] == QUEUES


def test_workers_are_healthy_when_every_queue_has_a_live_worker(client, db, settings):
    settings.WORKER_STALE_SECONDS = 60
    beat(10, ["submits"], seconds_ago=5)
    beat(11, ["polls", "stores"], seconds_ago=59)
    beat(12, ["submits"], seconds_ago=3600)

    response = client.get("/healthz/workers")

    assert response.status_code == 200
    body = response.json()
    assert body["queues_without_live_worker"] == []
    assert body["queues"]["submits"]["alive"] == 1
    assert [w["alive"] for w in body["workers"]] == [True, True, False]


def test_workers_fail_naming_the_queue_whose_workers_went_stale(client, db, settings):
    settings.WORKER_STALE_SECONDS = 60
    beat(10, ["submits", "polls"], seconds_ago=1)
    beat(11, ["stores"], seconds_ago=61)

    response = client.get("/healthz/workers")

    assert response.status_code == 503
    assert response.json()["queues_without_live_worker"] == ["stores"]


def procfile() -> dict[str, str]:
    lines = (ROOT / "Procfile").read_text().splitlines()
    return dict(line.split(": ", 1) for line in lines if line.strip())


def test_procfile_runs_the_release_web_workers_and_sweeper():
    processes = procfile()

    assert set(processes) == {"release", "web", "submits", "polls", "stores", "sweeper"}
    for queue in QUEUES:
        assert f"--queues {queue} " in processes[queue]


def test_procfile_workers_beat_per_queue_and_go_stale_when_killed(client, redis_workers, settings):
    """The Procfile's worker lines, run for real, each consume their own queue."""
    settings.WORKER_STALE_SECONDS = 2
    env = {
        **redis_workers.env,
        "PATH": f"{Path(sys.executable).parent}:{os.environ['PATH']}",
        "WORKER_HEARTBEAT_SECONDS": "0.3",
        "SUBMITS_THREADS": "1",
        "POLLS_THREADS": "1",
        "STORES_THREADS": "1",
    }
    lines = procfile()
    started = {
        queue: subprocess.Popen(
            ["sh", "-c", f"exec {lines[queue]}"],
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        for queue in QUEUES
    }
    redis_workers.processes.extend(started.values())

    body = wait_for_workers(client, lambda body: body["status"] == "ok")
    assert sorted(w["queues"] for w in body["workers"]) == [[q] for q in QUEUES]

    redis_workers.kill(started["stores"])

    body = wait_for_workers(client, lambda body: body["status"] == "failing")
    assert body["queues_without_live_worker"] == ["stores"]
    assert body["queues"]["submits"]["alive"] == 1


def wait_for_workers(client, done, timeout: float = 60.0) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        body = client.get("/healthz/workers").json()
        if done(body):
            return body
        time.sleep(0.2)
    raise AssertionError(f"/healthz/workers never got there: {body}")


def test_gunicorn_serves_health_and_keeps_tokens_out_of_its_access_log(
    transactional_db, media_root, tmp_path
):
    from django.db import connection

    database = connection.settings_dict
    url = (
        f"sqlite:///{database['NAME']}"
        if database["ENGINE"].endswith("sqlite3")
        else f"postgres://{database['USER']}@{database['HOST']}:{database['PORT']}/{database['NAME']}"
    )
    port = free_port()
    env = {
        **os.environ,
        "DEBUG": "false",
        "SECRET_KEY": "k" + os.urandom(32).hex(),
        "ALLOWED_HOSTS": "127.0.0.1",
        "DATABASE_URL": url,
        "MEDIA_ROOT": str(media_root),
        "GUNICORN_BIND": f"127.0.0.1:{port}",
        "WEB_CONCURRENCY": "1",
        "SECURE_SSL_REDIRECT": "false",
    }
    log = tmp_path / "gunicorn.log"
    with log.open("w") as output:
        server = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "-c", "project/gunicorn.conf.py"],
            cwd=ROOT,
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        base = f"http://127.0.0.1:{port}"
        health = get_when_up(f"{base}/healthz", server)
        ready = httpx.get(f"{base}/readyz", timeout=10)
        secret_link = httpx.get(f"{base}/m/TOKEN-abc123/?sig=SIGNATURE", timeout=10)
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)

    assert health.status_code == 200
    assert health.json() == {"status": "ok"}
    assert ready.status_code == 200, ready.text
    assert secret_link.status_code == 404
    access = log.read_text()
    assert re.search(r'"GET /m/\[redacted\]/ HTTP/1.1\\" 404', access), access
    assert "TOKEN-abc123" not in access
    assert "SIGNATURE" not in access


def get_when_up(url: str, server: subprocess.Popen, timeout: float = 60.0) -> httpx.Response:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert server.poll() is None, "gunicorn exited"
        try:
            return httpx.get(url, timeout=5)
        except httpx.TransportError:
            time.sleep(0.2)
    raise AssertionError(f"gunicorn did not answer {url} within {timeout} s")


@pytest.fixture(autouse=True)
def _no_stale_redis_keys():
    yield
    redis.Redis.from_url(REDIS_URL).flushdb()
