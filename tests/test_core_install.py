"""A production install works without the [sandbox] extra (no OpenCV, espeak-ng or pykakasi).

Slow the first time: it builds a real virtualenv with `pip install -e .` and no extras, kept
under .venv-core/ (gitignored) per version of pyproject.toml, so later runs take seconds.
tests/production_install.py then runs inside it, as a fresh process without pytest.
"""

import fcntl
import hashlib
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
CACHE = ROOT / ".venv-core"

pytestmark = pytest.mark.slow


def core_venv() -> Path:
    """The virtualenv of this pyproject.toml without extras, built once (under a lock)."""
    key = hashlib.sha256((ROOT / "pyproject.toml").read_bytes()).hexdigest()[:16]
    venv, done = CACHE / key, CACHE / key / ".installed"
    CACHE.mkdir(exist_ok=True)
    with (CACHE / f"{key}.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not done.exists():
            shutil.rmtree(venv, ignore_errors=True)
            subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
            subprocess.run(
                [str(venv / "bin" / "pip"), "install", "-q", "-e", str(ROOT)],
                check=True,
                capture_output=True,
                timeout=1200,
            )
            done.touch()
    return venv


def test_a_production_install_serves_every_page_and_renders_without_the_extra(tmp_path):
    venv = core_venv()
    env = {
        **{k: v for k, v in os.environ.items() if k in ("PATH", "HOME", "LANG", "TMPDIR")},
        "DEBUG": "false",
        "SECRET_KEY": "core-install-" + "k3y-" * 12,
        "ALLOWED_HOSTS": "testserver",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",
        "MEDIA_ROOT": str(tmp_path / "media"),
        "RESULT_SCRATCH_DIR": str(tmp_path / "scratch"),
        "DEFAULT_PROVIDER": "crun",
        "CRUN_API_KEY": "core-install-crun-key",
        # The fake Crun serves its result on 127.0.0.1.
        "FETCH_ALLOW_PRIVATE": "true",
        "POLL_FIRST_SECONDS": "0.2",
        "POLL_MAX_SECONDS": "0.5",
        "LOG_LEVEL": "WARNING",
    }

    ran = subprocess.run(
        [str(venv / "bin" / "python"), str(ROOT / "tests" / "production_install.py")],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    refused = subprocess.run(
        [str(venv / "bin" / "python"), str(ROOT / "manage.py"), "check"],
        cwd=tmp_path,
        env={**env, "SANDBOX_ENABLED": "true"},
        capture_output=True,
        text=True,
        timeout=120,
    )

    assert ran.returncode == 0, ran.stdout + ran.stderr[-5000:]
    assert '"problems": 0' in ran.stdout
    assert refused.returncode != 0
    assert "avatars.E001" in refused.stderr
    assert "the sandbox's [sandbox] extra is not installed" in refused.stderr
