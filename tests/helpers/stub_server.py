"""A stub HTTP server on 127.0.0.1 that answers whatever a test tells it to, and remembers
what it was asked: for answers no fake provider gives, and to prove nothing reached it."""

from __future__ import annotations

import time
from dataclasses import dataclass, field

from tests.fakes.http import Answer, LocalServer, Request


@dataclass
class Reply:
    status: int = 200
    body: bytes = b""
    delay: float = 0.0
    headers: dict[str, str] = field(default_factory=dict)


class StubServer(LocalServer):
    """Answers every request on 127.0.0.1 with `reply`; remembers the paths it was asked for."""

    def __init__(self) -> None:
        super().__init__()
        self.reply = Reply()

    @property
    def paths(self) -> list[str]:
        return [request.target for request in self.requests]

    def answer(self, request: Request) -> Answer:
        reply = self.reply
        time.sleep(reply.delay)
        return reply.status, reply.body, reply.headers
