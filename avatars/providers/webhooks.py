"""Standard Webhooks signatures (standardwebhooks.com), as Lumenfall and Replicate sign.

A delivery carries `webhook-id`, `webhook-timestamp` (unix seconds) and `webhook-signature`:
space-separated `v1,<base64 HMAC-SHA256>` entries over "{id}.{timestamp}.{raw body}", keyed
with the base64-decoded part of a `whsec_…` secret. Several entries appear while a secret is
being rotated; one matching entry is enough.

Read as the Standard Webhooks libraries read it: a secret whose base64 padding was left off
is the same secret, and a signature is compared as the bytes it encodes.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import time
from collections.abc import Mapping

from .base import SignatureRejected

TOLERANCE_SECONDS = 5 * 60
MAX_ID_LENGTH = 200
PREFIX = "whsec_"


def verify(
    body: bytes, headers: Mapping[str, str], secret: str, *, now: float | None = None
) -> str:
    """The delivery's webhook-id if its signature is ours and fresh; else SignatureRejected.

    `headers` has lower-case names. The id is the delivery's idempotency key: a provider
    retrying a delivery sends the same id again.
    """
    key = _key(secret)
    delivery_id = headers.get("webhook-id", "").strip()
    stamp = headers.get("webhook-timestamp", "").strip()
    signatures = headers.get("webhook-signature", "").strip()
    if not (delivery_id and stamp and signatures):
        raise SignatureRejected(
            "the delivery is not signed (it needs webhook-id, webhook-timestamp and "
            "webhook-signature headers)"
        )
    if len(delivery_id) > MAX_ID_LENGTH:
        raise SignatureRejected("the webhook-id is too long")
    try:
        timestamp = int(stamp)
    except ValueError:
        raise SignatureRejected("the webhook-timestamp is not a number of seconds") from None
    now = time.time() if now is None else now
    if timestamp < now - TOLERANCE_SECONDS:
        raise SignatureRejected("the delivery is more than 5 minutes old")
    if timestamp > now + TOLERANCE_SECONDS:
        raise SignatureRejected("the delivery is dated more than 5 minutes ahead")
    expected = _digest(key, delivery_id, timestamp, body)
    for entry in signatures.split():
        version, _, value = entry.partition(",")
        if version == "v1" and hmac.compare_digest(_decoded(value) or b"", expected):
            return delivery_id
    raise SignatureRejected("the signature does not match")


def _digest(key: bytes, delivery_id: str, timestamp: int, body: bytes) -> bytes:
    signed = f"{delivery_id}.{timestamp}.".encode() + body
    return hmac.new(key, signed, hashlib.sha256).digest()


def _key(secret: str) -> bytes:
    if not secret:
        raise SignatureRejected("no webhook secret is configured here, so no delivery is believed")
    key = _decoded(secret.removeprefix(PREFIX))
    if not key:
        raise SignatureRejected("the webhook secret configured here is not a valid whsec_ key")
    return key


def _decoded(text: str) -> bytes | None:
    """Base64 with or without its padding; None for anything else."""
    text = text.rstrip("=")
    try:
        return base64.b64decode(text + "=" * (-len(text) % 4), validate=True)
    except (binascii.Error, ValueError):
        return None
