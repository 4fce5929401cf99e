"""Crun's account balance, kept in Django's cache with the time it was read.

Pages show what was last read, so none of them waits on Crun; the provider health page asks
Crun afresh (`refresh`). A fault reading Crun or the cache becomes a message on the page,
never an error page.
"""

from __future__ import annotations

import datetime
import logging
from dataclasses import dataclass
from decimal import Decimal
from typing import Protocol, cast

from django.core.cache import cache
from django.utils import timezone
from django.utils.timesince import timesince

from avatars.credits import dollars
from avatars.providers import get_provider
from avatars.providers.base import ProviderError

log = logging.getLogger(__name__)

KEY = "crun-balance"
# Reloading the health page within this asks Crun nothing more: the reading is that fresh.
FRESH_FOR = datetime.timedelta(minutes=1)


class _Balanced(Protocol):
    def balance(self) -> Decimal: ...


@dataclass(frozen=True)
class Balance:
    configured: bool
    amount: Decimal | None = None
    error: str = ""  # for people: why it could not be read
    read_at: datetime.datetime | None = None  # None: not read yet

    @property
    def in_dollars(self) -> str:
        return dollars(self.amount) if self.amount is not None else ""

    @property
    def age(self) -> str:
        """How long ago it was read, as people say it: "3 minutes ago", "a moment ago"."""
        if self.read_at is None:
            return ""
        now = timezone.now()
        if now - self.read_at < datetime.timedelta(minutes=1):
            return "a moment ago"
        return f"{timesince(self.read_at, now)} ago"


def last_read() -> Balance:
    """What Crun last said its balance was; `read_at` is None when nobody has asked yet."""
    if not get_provider("crun").configured:
        return Balance(configured=False)
    try:
        stored = cache.get(KEY)
    except Exception:
        log.exception("Reading Crun's balance from the cache failed")
        return Balance(configured=True, error="its last reading could not be looked up just now.")
    if not isinstance(stored, dict):
        return Balance(configured=True)
    amount = stored.get("amount")
    return Balance(
        configured=True,
        amount=Decimal(amount) if amount is not None else None,
        error=stored.get("error", ""),
        read_at=stored.get("read_at"),
    )


def refresh(unless_fresh: bool = False) -> Balance:
    """Ask Crun for its balance now and keep the answer (or the error) with the time.

    With `unless_fresh`, a reading younger than FRESH_FOR is returned as it is.
    """
    kept = last_read()
    if not kept.configured:
        return kept
    if unless_fresh and kept.read_at and timezone.now() - kept.read_at < FRESH_FOR:
        return kept
    reading = _ask_crun()
    stored = {
        "amount": str(reading.amount) if reading.amount is not None else None,
        "error": reading.error,
        "read_at": reading.read_at,
    }
    try:
        cache.set(KEY, stored, timeout=None)
    except Exception:
        log.exception("Keeping Crun's balance in the cache failed")
    return reading


def _ask_crun() -> Balance:
    now = timezone.now()
    try:
        # The registry types every adapter as a Provider; Crun's also reads its balance.
        crun = cast(_Balanced, get_provider("crun"))
        return Balance(configured=True, amount=crun.balance(), read_at=now)
    except ProviderError as exc:
        return Balance(configured=True, error=exc.message, read_at=now)
    except Exception:
        # A side panel: an adapter fault must not take a page down with it.
        log.exception("Fetching Crun's balance failed")
        return Balance(
            configured=True, error="Crun's balance could not be fetched just now.", read_at=now
        )
