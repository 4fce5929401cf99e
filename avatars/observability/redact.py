"""Secrets that live in URLs (signed media links, share links, callback tokens) kept out of logs."""

import re

# /m/<token>/, /s/<token>/ and /callbacks/<provider>/<job id>/<token>/: the token is the secret.
_TOKEN = re.compile(r"(/(?:m|s)/|/callbacks/[^/\s?]+/\d+/)[^/\s?\"']+")
# A query string after a path: signed links carry their signature there.
_QUERY = re.compile(r"(/[^\s?\"']*)\?[^\s\"']*")
HIDDEN = "[redacted]"


def redact(text: str) -> str:
    """The text with every URL token replaced and every query string dropped."""
    return _QUERY.sub(r"\1", _TOKEN.sub(rf"\1{HIDDEN}", text))
