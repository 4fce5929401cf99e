"""`manage.py sweeper`: sends reconcile_jobs for the workers, on the real broker."""

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import redis
from django.core.management import CommandError, call_command
from dramatiq.brokers.redis import RedisBroker

from tests.brokers import using_broker
from tests.pipeline import REDIS_URL

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def redis_db():
    client = redis.Redis.from_url(REDIS_URL)
    client.flushdb()
    yield client
    client.flushdb()


def test_it_sends_one_reconcile_to_the_polls_queue(redis_db, capsys):
    with using_broker(RedisBroker(url=REDIS_URL)):
        call_command("sweeper", "--once")

    [message_id] = redis_db.lrange("dramatiq:polls", 0, -1)
    message = json.loads(redis_db.hget("dramatiq:polls.msgs", message_id))
    assert message["actor_name"] == "reconcile_jobs"
    assert "Sent reconcile_jobs to queue polls." in capsys.readouterr().out


def test_it_refuses_to_run_without_a_broker():
    with pytest.raises(CommandError, match="embedded worker sweeps by itself"):
        call_command("sweeper", "--once")


def test_it_keeps_sweeping_until_told_to_stop(redis_db, tmp_path):
    env = {
        **os.environ,
        "BROKER_URL": REDIS_URL,
        "DATABASE_URL": f"sqlite:///{tmp_path / 'unused.sqlite3'}",
    }
    sweeper = subprocess.Popen(
        [sys.executable, "manage.py", "sweeper", "--every", "0.2"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        deadline = time.monotonic() + 60
        while redis_db.llen("dramatiq:polls") < 3 and time.monotonic() < deadline:
            time.sleep(0.1)
        sweeper.send_signal(signal.SIGTERM)
        output, _ = sweeper.communicate(timeout=30)
    finally:
        if sweeper.poll() is None:
            sweeper.kill()
            sweeper.wait()

    assert redis_db.llen("dramatiq:polls") >= 3
    assert sweeper.returncode == 0, output
