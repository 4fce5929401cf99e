"""Calling back, Crun-style, but only ever to this studio's own callback path.

A provider that POSTs wherever a task asks is a way into the network it runs in: the sandbox
runs inside ours, so a callback URL must be under PUBLIC_BASE_URL's /callbacks/, and the POST
follows no redirect and uses no proxy from the environment.
"""

import logging

import httpx
from django.conf import settings

from avatars.sandbox.inputs import origin, without_links

log = logging.getLogger(__name__)

TIMEOUT = httpx.Timeout(10.0, connect=5.0)
CALLBACK_PATH = "/callbacks/"


def refusal(url: str) -> str:
    """Why the sandbox will not call `url` back, or "" when it may ("" itself: no callback)."""
    if not url:
        return ""
    ours = f"{settings.PUBLIC_BASE_URL}{CALLBACK_PATH}"
    refused = (
        f"callback_url must be under this studio's own {ours}; the sandbox calls back nowhere else"
    )
    try:
        target, base = httpx.URL(url), httpx.URL(settings.PUBLIC_BASE_URL)
    except (httpx.InvalidURL, TypeError):
        return refused
    prefix = base.path.rstrip("/") + CALLBACK_PATH
    segments = target.path.split("/")
    if (
        target.userinfo
        or origin(target) != origin(base)
        or not target.path.startswith(prefix)
        or "." in segments
        or ".." in segments
    ):
        return refused
    return ""


def deliver(url: str, body: bytes, task_id: str) -> None:
    """POST a finished task to its callback URL, if it is still one the sandbox may call."""
    if not url or refusal(url):
        return
    try:
        response = httpx.post(
            url,
            content=body,
            headers={"content-type": "application/json"},
            timeout=TIMEOUT,
            follow_redirects=False,
            trust_env=False,
        )
    except httpx.HTTPError as exc:
        log.warning(
            "sandbox callback for %s failed: %s %s", task_id, type(exc).__name__, without_links(exc)
        )
        return
    if response.status_code != 200:
        log.warning("sandbox callback for %s answered HTTP %d", task_id, response.status_code)
