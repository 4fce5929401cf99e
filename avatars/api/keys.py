"""Team API keys: made (shown once), checked on each request, revoked.

A key acts as its own account, a member of its team holding the permissions of its scopes
that its creator held too: a Marketing user's `manage` key cannot approve renders, an
Editor's can (never one the key itself requested: the four-eyes rule of avatars.access).
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass

from django.contrib.auth.models import Permission, User
from django.db import IntegrityError, transaction
from django.utils import timezone

from avatars import access, credits
from avatars.models import ApiKey, ApiScope, AuditEntry, Team

# Keys look like "ask_…" so secret scanners and people can tell them from other tokens.
KEY_PREFIX = "ask_"
SCOPES = [scope.value for scope in ApiScope]
# What each scope lets a key do, as permissions of the avatars app.
SCOPE_PERMISSIONS: dict[str, list[str]] = {
    ApiScope.READ: [
        *(
            f"view_{model}"
            for model in (
                "avatar",
                "voice",
                "script",
                "scriptrevision",
                "audioclip",
                "tag",
                "team",
                "renderjob",
                "jobevent",
                "campaign",
                "campaignrow",
            )
        ),
    ],
    ApiScope.RENDER: ["add_renderjob", "cancel_renderjob", "retry_renderjob"],
    ApiScope.MANAGE: [
        *(
            f"{action}_{model}"
            for model in ("avatar", "voice", "script", "audioclip", "tag")
            for action in ("add", "change")
        ),
        "add_campaign",
        "change_campaign",
        "approve_campaign",
        "approve_renderjob",
        "review_renderjob",
    ],
}
# Last-used times are written at most this often per key: not one write per request.
LAST_USED_GRAIN_SECONDS = 60


class ApiKeyError(Exception):
    """A key that cannot be made as asked, in words for the person asking."""


@dataclass(frozen=True)
class NewKey:
    api_key: ApiKey
    secret: str  # the whole key, shown this once


def parse_scopes(text: str) -> list[str]:
    """ "read,render" → ["read", "render"], refusing unknown names."""
    chosen = [part.strip() for part in text.split(",") if part.strip()]
    unknown = [name for name in chosen if name not in SCOPES]
    if unknown:
        raise ApiKeyError(
            f"There is no scope called {', '.join(unknown)}: choose from {', '.join(SCOPES)}."
        )
    if not chosen:
        raise ApiKeyError(f"Give the key at least one scope: {', '.join(SCOPES)}.")
    return [name for name in SCOPES if name in chosen]


def create(team: Team, name: str, scopes: list[str], creator: User | None) -> NewKey:
    """A new key for the team. `creator` None is an operator at the command line."""
    name = name.strip()
    if not name:
        raise ApiKeyError("Name the key after what will use it, e.g. “CRM sync”.")
    if creator is not None and not access.may_manage_api_keys(creator, team.pk):
        raise ApiKeyError(f"Only {team}'s Editors and administrators may make its API keys.")
    secret = KEY_PREFIX + secrets.token_urlsafe(32)
    try:
        with transaction.atomic():
            user = User.objects.create_user(f"api:{team.slug}:{name}"[:150])
            user.set_unusable_password()
            user.save(update_fields=["password"])
            team.members.add(user)
            user.user_permissions.set(_permissions(scopes, creator))
            api_key = ApiKey.objects.create(
                team=team,
                name=name,
                scopes=scopes,
                prefix=secret[: len(KEY_PREFIX) + 8],
                digest=digest(secret),
                user=user,
                created_by=creator,
            )
            credits.record(
                AuditEntry.Action.API_KEY_CREATED,
                team,
                creator,
                detail=f"API key “{name}” ({', '.join(scopes)})",
            )
    except IntegrityError:
        raise ApiKeyError(
            f"{team} already has a key called “{name}” (revoked keys keep their names, so "
            "the audit log stays readable). Choose another name."
        ) from None
    return NewKey(api_key, secret)


def _permissions(scopes: list[str], creator: User | None) -> list[Permission]:
    codenames = {c for scope in implied(scopes) for c in SCOPE_PERMISSIONS[scope]}
    if creator is not None and not creator.is_superuser:
        codenames = {c for c in codenames if creator.has_perm(f"avatars.{c}")}
    return list(
        Permission.objects.filter(content_type__app_label="avatars", codename__in=codenames)
    )


def digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def authenticate(secret: str) -> ApiKey | None:
    """The active key with this secret, its last-used time brought up to date; else None."""
    if not secret.startswith(KEY_PREFIX) or len(secret) > 200:
        return None
    found = (
        ApiKey.objects.select_related("team", "user")
        .filter(digest=digest(secret), revoked_at__isnull=True, user__is_active=True)
        .first()
    )
    if found is None:
        return None
    now = timezone.now()
    stale = found.last_used_at is None or (
        (now - found.last_used_at).total_seconds() >= LAST_USED_GRAIN_SECONDS
    )
    if stale:
        ApiKey.objects.filter(pk=found.pk).update(last_used_at=now)
        found.last_used_at = now
    return found


def revoke(api_key: ApiKey, by: User | None) -> bool:
    """Stop the key working at once. False: it was revoked already."""
    with transaction.atomic():
        revoked = ApiKey.objects.filter(pk=api_key.pk, revoked_at__isnull=True).update(
            revoked_at=timezone.now()
        )
        if not revoked:
            return False
        User.objects.filter(pk=api_key.user_id).update(is_active=False)
        credits.record(
            AuditEntry.Action.API_KEY_REVOKED,
            api_key.team,
            by,
            detail=f"API key “{api_key.name}”",
        )
    api_key.refresh_from_db()
    return True


def implied(scopes: list[str]) -> set[str]:
    """`manage` includes `render` and `read`; `render` includes `read`."""
    held = set(scopes)
    if ApiScope.MANAGE in held:
        held |= {ApiScope.RENDER, ApiScope.READ}
    if ApiScope.RENDER in held:
        held.add(ApiScope.READ)
    return held


def has_scope(api_key: ApiKey, scope: str) -> bool:
    return scope in implied(api_key.scopes)
