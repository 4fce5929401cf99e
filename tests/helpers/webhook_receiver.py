"""A webhook receiver on 127.0.0.1 that checks each delivery with the `standardwebhooks`
package (an outside judge of our signatures) and answers as a test tells it to."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from tests.fakes.http import Answer, LocalServer, Request


@dataclass
class Received:
    webhook_id: str
    payload: Any
    verified_with: list[str]  # the secrets whose check passed
    signatures: str


class WebhookReceiver(LocalServer):
    def __init__(self) -> None:
        super().__init__()
        self.secrets: list[str] = []
        self.statuses: list[int] = []  # answered in turn; then 200
        self.received: list[Received] = []

    def answer(self, request: Request) -> Answer:
        verified = []
        for secret in self.secrets:
            try:
                Webhook(secret).verify(request.raw, request.headers)
            except WebhookVerificationError:
                continue
            verified.append(secret)
        self.received.append(
            Received(
                request.headers.get("webhook-id", ""),
                request.body,
                verified,
                request.headers.get("webhook-signature", ""),
            )
        )
        status = self.statuses.pop(0) if self.statuses else 200
        return status, {"ok": status < 300}, {}
