"""What every route asks first: which key is calling, and may it do this."""

from __future__ import annotations

from typing import Any, cast

from django.contrib.auth.models import User
from django.http import HttpRequest
from ninja.security import HttpBearer

from avatars.api import keys, ratelimit
from avatars.api.problems import Problem
from avatars.models import ApiKey, Team


class TeamKey(HttpBearer):
    """`Authorization: Bearer ask_…`: the request acts as the key's own account."""

    openapi_description = "A team API key, made in the studio, the admin or `manage.py api_key`."

    def authenticate(self, request: HttpRequest, token: str) -> ApiKey | None:
        found = keys.authenticate(token)
        if found is not None:
            request.user = found.user
            ratelimit.take(request, found)
        return found


def key_of(request: HttpRequest) -> ApiKey:
    return cast(ApiKey, cast(Any, request).auth)


def user_of(request: HttpRequest) -> User:
    return key_of(request).user


def team_of(request: HttpRequest) -> Team:
    return key_of(request).team


def need(request: HttpRequest, scope: str) -> ApiKey:
    """The calling key, if it holds `scope`; else 403 saying which scope it lacks."""
    api_key = key_of(request)
    if not keys.has_scope(api_key, scope):
        raise Problem(
            403,
            f"This key has no “{scope}” scope (it has {', '.join(api_key.scopes)}). An Editor "
            "can make a key with it in the studio.",
            kind="missing-scope",
        )
    return api_key


def page_size(limit: int) -> int:
    """The page size a list was asked for, if it is one the API serves (1 to 100)."""
    if not 1 <= limit <= 100:
        raise Problem(400, "Ask for between 1 and 100 items a page.", kind="bad-limit")
    return limit


def refuse_unless(allowed: bool, detail: str) -> None:
    if not allowed:
        raise Problem(403, detail, kind="not-allowed")
