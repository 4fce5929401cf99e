"""Fake providers on 127.0.0.1 (Crun, Lumenfall, Replicate), for the provider tests."""

from .crun import FakeCrun, InstantCrun
from .lumenfall import FakeLumenfall
from .replicate import FakeReplicate
from .server import Behaviour, FakeProvider

__all__ = ["Behaviour", "FakeCrun", "FakeLumenfall", "FakeProvider", "FakeReplicate", "InstantCrun"]
