"""What every adapter's typed errors must say, checked one way for all providers."""

from __future__ import annotations

from avatars.providers import base


def assert_typed_error(
    error: base.ProviderError,
    *,
    error_class: type[base.ProviderError],
    status: int,
    code: str,
    words: str,
    retryable: bool,
    safe: bool,
    falls_back: bool,
) -> None:
    """`error` is the typed error for an HTTP `status`, readable, and says what may follow."""
    assert type(error) is error_class
    assert (error.code, error.status) == (code, status)
    assert words in error.message
    assert (error.retryable, error.safe_to_resubmit, error.falls_back) == (
        bool(retryable),
        bool(safe),
        bool(falls_back),
    )
    assert "Traceback" not in error.message and "{" not in error.message
