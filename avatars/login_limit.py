"""Login rate limiting: too many failed logins for one user name, or from one address, lock
further attempts out for a while, correct passwords included.

Counts live in Django's cache, so with a shared cache (Redis) every web process sees them.
A window opens with the first failure and lasts LOGIN_LOCKOUT_SECONDS; a successful login
clears its user name's count, but not its address's count.
"""

import hashlib

from django.conf import settings
from django.contrib.admin.forms import AdminAuthenticationForm
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.http import HttpRequest

KEY_PREFIX = "login-failures"


def _key(kind: str, value: str) -> str:
    # Hashed: user names may hold characters a cache backend does not accept in keys.
    digest = hashlib.sha256(value.encode("utf-8", "surrogatepass")).hexdigest()[:32]
    return f"{KEY_PREFIX}:{kind}:{digest}"


def _keys(username: str, address: str) -> list[tuple[str, int]]:
    return [
        (_key("user", username.strip().casefold()), settings.LOGIN_FAILURES_PER_USER),
        (_key("ip", address), settings.LOGIN_FAILURES_PER_ADDRESS),
    ]


def client_address(request: HttpRequest | None) -> str:
    # REMOTE_ADDR only: X-Forwarded-For is set by the client unless a known proxy rewrites it.
    return (request.META.get("REMOTE_ADDR") if request is not None else None) or "unknown"


def is_locked_out(username: str, address: str) -> bool:
    counts = cache.get_many([key for key, _ in _keys(username, address)])
    return any(counts.get(key, 0) >= limit for key, limit in _keys(username, address))


def record_failure(username: str, address: str) -> None:
    for key, _ in _keys(username, address):
        # add() opens the window; incr() keeps its expiry on every backend Django ships.
        if not cache.add(key, 1, timeout=settings.LOGIN_LOCKOUT_SECONDS):
            try:
                cache.incr(key)
            except ValueError:
                cache.add(key, 1, timeout=settings.LOGIN_LOCKOUT_SECONDS)


def record_success(username: str) -> None:
    cache.delete(_key("user", username.strip().casefold()))


class RateLimitedLoginForm(AdminAuthenticationForm):
    """The admin's login form (also the studio's), refusing attempts while locked out."""

    def clean(self) -> dict:
        username = self.cleaned_data.get("username") or ""
        address = client_address(self.request)
        if is_locked_out(username, address):
            minutes = max(1, round(settings.LOGIN_LOCKOUT_SECONDS / 60))
            raise ValidationError(
                "Too many failed logins. Logging in is blocked for this account or from this "
                f"address for up to {minutes} minutes; wait and try again, or ask an "
                "administrator to reset your password.",
                code="locked_out",
            )
        try:
            cleaned = super().clean()
        except ValidationError:
            record_failure(username, address)
            raise
        record_success(username)
        return cleaned
