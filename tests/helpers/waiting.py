"""Waiting for what happens outside a test: a worker, a fake provider, a browser."""

from __future__ import annotations

import time
from collections.abc import Callable


def wait_until(condition: Callable[[], object], timeout: float = 15.0) -> None:
    """Wait for something outside the test (the sandbox, a worker) to happen."""
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"still waiting after {timeout} s"
        time.sleep(0.05)
