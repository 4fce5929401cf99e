"""The production settings path: DEBUG off, `check --deploy` clean, weak secrets refused,
JSON logs by default."""

import json
import os
import secrets
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def production_env(**overrides: str) -> dict[str, str]:
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("DJANGO_", "SECURE_", "LOG_")) and key not in ("DEBUG",)
    }
    env.update(
        DEBUG="false",
        SECRET_KEY=secrets.token_urlsafe(50),
        ALLOWED_HOSTS="studio.example.com",
        PUBLIC_BASE_URL="https://studio.example.com",
        SECURE_PROXY_SSL_HEADER="X-Forwarded-Proto",
        METRICS_TOKEN=secrets.token_urlsafe(32),
    )
    env.update(overrides)
    return env


def manage(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_check_deploy_reports_nothing_in_production():
    result = manage("check", "--deploy", "--fail-level", "DEBUG", env=production_env())

    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout


def test_check_deploy_finds_the_development_defaults_wanting():
    env = production_env(DEBUG="true")

    result = manage("check", "--deploy", "--fail-level", "WARNING", env=env)

    assert result.returncode != 0
    for warning in ("security.W004", "security.W008", "security.W012", "security.W016"):
        assert warning in result.stderr


def test_a_missing_secret_key_is_refused():
    env = production_env()
    del env["SECRET_KEY"]

    result = manage("check", env=env)

    assert result.returncode != 0
    assert "SECRET_KEY must be set when DEBUG is off" in result.stderr


def test_a_weak_secret_key_is_refused():
    for weak in ("short-but-random-Zq8x", "ab" * 40):
        result = manage("check", env=production_env(SECRET_KEY=weak))

        assert result.returncode != 0
        assert "SECRET_KEY is too weak" in result.stderr


def test_logs_are_json_lines_in_production():
    code = "import logging; logging.getLogger('avatars.test').warning('hello %s', 'there')"

    result = manage("shell", "--no-imports", "-c", code, env=production_env())

    lines = [json.loads(line) for line in result.stderr.splitlines()]
    assert lines[-1]["message"] == "hello there"
    assert lines[-1]["level"] == "WARNING"
    assert lines[-1]["logger"] == "avatars.test"
    assert "time" in lines[-1]


def test_logs_are_plain_text_in_development():
    code = "import logging; logging.getLogger('avatars.test').warning('hello')"

    result = manage("shell", "--no-imports", "-c", code, env=production_env(DEBUG="true"))

    assert result.stderr.rstrip().endswith("WARNING avatars.test hello")
