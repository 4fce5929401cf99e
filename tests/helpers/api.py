"""The public API in tests: team keys, and clients that call it over real HTTP."""

from __future__ import annotations

import datetime
import secrets
from typing import Any

import httpx
from django.contrib.auth.models import User
from django.utils import timezone

from avatars.api import keys
from avatars.models import Avatar, Team

PROBLEM = "application/problem+json"


def key_for(
    team: Team, scopes: str = "read,render,manage", creator: User | None = None, name: str = ""
) -> str:
    """A new key of the team, as `manage.py api_key create` makes it."""
    name = name or f"key {secrets.token_hex(3)}"
    made = keys.create(team, name, keys.parse_scopes(scopes), creator)
    return made.secret


def client(base_url: str, secret: str | None, **headers: str) -> httpx.Client:
    """An HTTP client of /api/v1/ on the live server, sending the key as a bearer token."""
    if secret is not None:
        headers["Authorization"] = f"Bearer {secret}"
    return httpx.Client(base_url=f"{base_url}/api/v1", headers=headers, timeout=30)


def assert_problem(answer: httpx.Response, status: int, says: str = "") -> dict[str, Any]:
    """The answer is RFC 9457 problem details with this status (and these words)."""
    assert answer.status_code == status, answer.text
    assert answer.headers["content-type"].startswith(PROBLEM), answer.headers
    body = answer.json()
    assert body["status"] == status and body["title"] and body["type"]
    assert says in body["detail"], body
    return body


def consenting(assets: Any, team: Team, name: str = "Speaker") -> Avatar:
    return assets.avatar(
        team,
        name,
        consent_person="A. Person",
        consent_scope="any",
        consent_expires=timezone.localdate() + datetime.timedelta(days=90),
    )
