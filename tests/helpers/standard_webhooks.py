"""Webhook deliveries signed as a Standard Webhooks sender signs them: by the reference
`standardwebhooks` package, not by the code of the verifier under test."""

from __future__ import annotations

import base64
import time
from datetime import UTC, datetime

from standardwebhooks import Webhook
from standardwebhooks.webhooks import hmac_data


def signed(
    body: bytes, secret: str, delivery_id: str = "msg_1", timestamp: int | None = None
) -> dict[str, str]:
    """The headers of a delivery of `body` signed with `secret`, at `timestamp` (now)."""
    stamp = int(time.time()) if timestamp is None else timestamp
    return {
        "content-type": "application/json",
        "webhook-id": delivery_id,
        "webhook-timestamp": str(stamp),
        "webhook-signature": signature(body, secret, delivery_id, stamp),
    }


def signature(body: bytes, secret: str, delivery_id: str, stamp: int) -> str:
    webhook = Webhook(secret)
    try:
        text = body.decode()
    except UnicodeDecodeError:
        # The library signs text; a body that is not UTF-8 is signed as its raw bytes with
        # the library's own key reading and HMAC.
        signed_bytes = f"{delivery_id}.{stamp}.".encode() + body
        return "v1," + base64.b64encode(hmac_data(webhook._whsecret, signed_bytes)).decode()
    return webhook.sign(delivery_id, datetime.fromtimestamp(stamp, UTC), text)
