"""A job's first status is a transition like every other: one timeline event, as before.

alice (Marketing, acme) asks for the renders; nothing is sent to a worker here (the
transaction a test runs in never commits).
"""

from decimal import Decimal

import pytest

from avatars.models import JobStatus
from tests.fakes import lumenfall
from tests.helpers.jobs import request_speech


@pytest.fixture
def lumenfall_key(settings) -> None:
    settings.LUMENFALL_API_KEY = lumenfall.API_KEY


def status_events(job) -> list[tuple[str, str, str, str]]:
    return list(
        job.events.filter(kind="status").values_list("from_status", "to_status", "actor", "message")
    )


def test_a_requested_render_is_queued_by_one_transition(acme, asset_factory, lumenfall_key):
    job = request_speech(asset_factory, acme, provider="lumenfall")

    job.refresh_from_db()
    assert job.status == JobStatus.QUEUED
    assert status_events(job) == [("", "queued", "system", "Render requested.")]
    assert job.status_changed_at >= job.created_at


def test_a_render_over_the_threshold_awaits_approval_by_one_transition(
    acme, asset_factory, lumenfall_key
):
    acme.approval_threshold = Decimal("0.01")
    acme.save()

    job = request_speech(asset_factory, acme, provider="lumenfall")

    job.refresh_from_db()
    assert job.status == JobStatus.AWAITING_APPROVAL
    ((from_status, to_status, _, message),) = status_events(job)
    assert (from_status, to_status) == ("", "awaiting_approval")
    assert message.startswith("Render requested; at about $")
    assert message.endswith("it needs an Editor's approval (the team's threshold is $0.01).")
