"""Ports on 127.0.0.1."""

import socket


def free_port() -> int:
    """A port nothing listens on now: to start a server on, or to be refused by."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]
