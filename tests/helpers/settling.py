"""Waiting until nothing is left to happen, so that a test may assert nothing else did."""

from __future__ import annotations

import threading

import dramatiq
from dramatiq.broker import MessageProxy
from dramatiq.common import q_name

from tests.fakes.http import QUIET_TIMEOUT, LocalServer
from tests.fakes.server import FakeProvider


class MessagesDue(dramatiq.Middleware):
    """Counts the messages due now on a broker that are not yet acknowledged.

    A message counts from being enqueued without a delay (or from its delay running out)
    until its worker thread acknowledges or rejects it, retries and all. The queues' own
    counts cannot tell: a stopped worker puts its prefetched messages back without marking
    them done, so a later test would wait for them forever.
    """

    def __init__(self) -> None:
        self.due = 0
        self._changed = threading.Condition()

    def after_enqueue(self, broker: dramatiq.Broker, message: dramatiq.Message, delay: int) -> None:
        if not delay and q_name(message.queue_name) == message.queue_name:
            self._count(+1)

    def after_ack(self, broker: dramatiq.Broker, message: MessageProxy) -> None:
        if q_name(message.queue_name) == message.queue_name:
            self._count(-1)

    after_nack = after_ack

    def wait(self, timeout: float = QUIET_TIMEOUT) -> None:
        with self._changed:
            if not self._changed.wait_for(lambda: self.due <= 0, timeout):
                raise AssertionError(f"{self.due} messages still being handled after {timeout} s")

    def _count(self, change: int) -> None:
        with self._changed:
            self.due += change
            self._changed.notify_all()


def settle(*servers: LocalServer, renders: bool = True) -> None:
    """Wait until the servers answer no request and the fakes among them render and deliver
    nothing (with `renders=False`, renders may go on), and every message due now on the
    embedded worker's broker has been handled, with whatever those sent at once; then
    again, until a round changes nothing.

    Messages delayed to later (the next poll, a retry after a Retry-After) are not waited
    for: they have not happened yet, and waiting for them would wait for as long as a job
    polls.
    """
    counters = [m for m in dramatiq.get_broker().middleware if isinstance(m, MessagesDue)]
    assert counters, "settle() needs the embedded_worker fixture, which counts messages"
    (counter,) = counters
    while True:
        seen = sum(len(server.requests) for server in servers)
        for server in servers:
            if renders and isinstance(server, FakeProvider):
                server.join()
            else:
                server.join_requests()
        counter.wait()
        if sum(len(server.requests) for server in servers) == seen and counter.due <= 0:
            return
