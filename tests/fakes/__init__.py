"""Fake Lumenfall and Replicate servers on 127.0.0.1, for the provider tests."""

from .lumenfall import FakeLumenfall
from .replicate import FakeReplicate
from .server import Behaviour, FakeProvider

__all__ = ["Behaviour", "FakeLumenfall", "FakeProvider", "FakeReplicate"]
