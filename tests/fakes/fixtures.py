"""Fixtures that start the fake providers, and point the app's settings at them.

`fake_crun`, `fake_lumenfall` and `fake_replicate` build on `live_app` (tests/pipeline.py):
the live server for callbacks, quick polling, and the result fetcher allowed onto loopback
where the fakes serve their videos. The `*_server` ones are the bare fakes, for client tests.
"""

from collections.abc import Iterator

import pytest

from . import crun, lumenfall, replicate
from .crun import FakeCrun
from .lumenfall import FakeLumenfall
from .replicate import FakeReplicate


@pytest.fixture
def crun_server() -> Iterator[FakeCrun]:
    fake = FakeCrun().start()
    yield fake
    fake.stop()


@pytest.fixture
def lumenfall_server() -> Iterator[FakeLumenfall]:
    fake = FakeLumenfall().start()
    yield fake
    fake.stop()


@pytest.fixture
def replicate_server() -> Iterator[FakeReplicate]:
    fake = FakeReplicate(replicate.SECRET).start()
    yield fake
    fake.stop()


@pytest.fixture
def fake_crun(crun_server, live_app, settings) -> FakeCrun:
    settings.CRUN_BASE_URL = crun_server.url
    settings.CRUN_API_KEY = crun.API_KEY
    return crun_server


@pytest.fixture
def fake_lumenfall(lumenfall_server, live_app, settings) -> FakeLumenfall:
    settings.LUMENFALL_BASE_URL = f"{lumenfall_server.url}/v1"
    settings.LUMENFALL_API_KEY = lumenfall.API_KEY
    settings.LUMENFALL_WEBHOOK_SECRET = lumenfall.SECRET
    return lumenfall_server


@pytest.fixture
def fake_replicate(replicate_server, live_app, settings) -> FakeReplicate:
    settings.REPLICATE_BASE_URL = f"{replicate_server.url}/v1"
    settings.REPLICATE_API_TOKEN = replicate.API_TOKEN
    settings.REPLICATE_WEBHOOK_SECRET = replicate.SECRET
    return replicate_server


@pytest.fixture
def crun_key(settings) -> str:
    """Crun configured, for renders that are requested, priced and held on a paid provider
    but never sent (no worker runs in such a test); `fake_crun` when they must be. Returns the
    provider's name."""
    settings.CRUN_API_KEY = crun.API_KEY
    return "crun"
