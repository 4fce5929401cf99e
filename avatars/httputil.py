"""Small HTTP helpers shared by the provider clients and the result fetcher."""

import math
from collections.abc import Mapping
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime


def retry_after(headers: Mapping[str, str]) -> float | None:
    """How long an answer asks us to wait, in seconds, or None where it does not say.

    `retry-after-ms` (milliseconds, which OpenAI-style APIs send) wins over the standard
    `Retry-After`, as the OpenAI client reads them.
    """
    milliseconds = _seconds(headers.get("retry-after-ms"))
    if milliseconds is not None:
        return milliseconds / 1000
    return retry_after_seconds(headers.get("retry-after"))


def retry_after_seconds(value: str | None) -> float | None:
    """A Retry-After header in seconds, from either of its forms (seconds or an HTTP date)."""
    value = (value or "").strip()
    if not value:
        return None
    seconds = _seconds(value)
    if seconds is not None:
        return seconds
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - datetime.now(UTC)).total_seconds())


def _seconds(value: str | None) -> float | None:
    try:
        seconds = float((value or "").strip())
    except ValueError:
        return None
    # nan and inf are numbers to float(), but no delay anyone can wait.
    if not math.isfinite(seconds):
        return None
    return max(0.0, seconds)
