"""Webhook deliveries signed as a Standard Webhooks sender signs them: by the reference
`standardwebhooks` package, not by the code of the verifier under test."""

from __future__ import annotations

import time
from datetime import UTC, datetime

from standardwebhooks import Webhook


def signed(
    body: bytes, secret: str, delivery_id: str = "msg_1", timestamp: int | None = None
) -> dict[str, str]:
    """The headers of a delivery of `body` signed with `secret`, at `timestamp` (now)."""
    stamp = int(time.time()) if timestamp is None else timestamp
    when = datetime.fromtimestamp(stamp, UTC)
    return {
        "content-type": "application/json",
        "webhook-id": delivery_id,
        "webhook-timestamp": str(stamp),
        "webhook-signature": Webhook(secret).sign(delivery_id, when, body.decode()),
    }
