"""Waiting until nothing is left to happen, so that a test may assert nothing else did."""

from __future__ import annotations

import dramatiq
from dramatiq.brokers.stub import StubBroker

from tests.fakes.http import LocalServer
from tests.fakes.server import FakeProvider


def settle(*servers: LocalServer, renders: bool = True) -> None:
    """Wait until the servers answer no request and the fakes among them render and deliver
    nothing (with `renders=False`, renders may go on), and every message on the in-process
    broker that is due now has been handled, with whatever those sent at once; then again,
    until a round changes nothing.

    Messages delayed to later (the next poll, a retry after a Retry-After) are not waited
    for: they have not happened yet, and waiting for them would wait for as long as a job
    polls.
    """
    broker = dramatiq.get_broker()
    assert isinstance(broker, StubBroker), "settle() knows the in-process broker only"
    due = broker.get_declared_queues() - broker.get_declared_delay_queues()
    while True:
        seen = sum(len(server.requests) for server in servers)
        for server in servers:
            if renders and isinstance(server, FakeProvider):
                server.join()
            else:
                server.join_requests()
        for name in due:
            broker.queues[name].join()
        if sum(len(server.requests) for server in servers) == seen and not any(
            broker.queues[name].unfinished_tasks for name in due
        ):
            return
