"""Routing: a team's preferred provider, and its fallback list when a provider cannot take a render.

A render moves on only when its provider surely started nothing (it said it is unavailable,
rate limited or switched off, and no attempt went unanswered), without a second credit hold.
Errors that are the request's or the account's fault fail the job with the reason instead.
"""

import httpx
import pytest

from avatars import routing
from avatars.admin.teams import TeamForm
from avatars.models import CreditEntry, JobEvent, JobStatus, RenderJob, Team
from avatars.providers import base, get_provider
from tests.fakes import lumenfall, replicate
from tests.helpers.jobs import request_speech, status_path, wait_for

LABEL = {"crun": "Crun", "lumenfall": "Lumenfall", "replicate": "Replicate"}
UNAVAILABLE = {"crun": 500, "lumenfall": 502, "replicate": 503}


@pytest.fixture
def worker_timeout() -> int:
    return 100


@pytest.fixture
def providers(fake_crun, fake_lumenfall, fake_replicate, settings):
    """All three paid providers on fakes."""
    settings.SUBMIT_MAX_ATTEMPTS = 2
    return {"crun": fake_crun, "lumenfall": fake_lumenfall, "replicate": fake_replicate}


def creates(fakes, name: str) -> int:
    return fakes[name].calls["create"]


def started(fakes, name: str) -> int:
    return len(fakes[name].tasks)


def misbehave(fakes, name: str, **behaviour: object) -> None:
    fakes[name].configure(**behaviour)


def team_routes(team: Team, preferred: str, *fallbacks: str) -> None:
    team.preferred_provider = preferred
    team.fallback_providers = list(fallbacks)
    team.save()


# --- end to end -------------------------------------------------------------------------------

CHAIN = [("crun", "lumenfall"), ("lumenfall", "replicate"), ("replicate", "crun")]


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize(("first", "second"), CHAIN, ids=[f"{a}-to-{b}" for a, b in CHAIN])
def test_an_unavailable_provider_hands_the_render_to_the_next_one(
    acme, asset_factory, providers, embedded_worker, first, second
):
    team_routes(acme, first, second)
    misbehave(providers, first, create_error=UNAVAILABLE[first])

    job = wait_for(request_speech(asset_factory, acme, provider=""))

    assert job.status == JobStatus.SUCCEEDED, job.error_message
    assert job.provider == second
    assert status_path(job)[:6] == [
        "queued",
        "submitting",
        "queued",
        "submitting",
        "queued",
        "submitting",
    ]
    moved = job.events.get(data__fallback_to=second)
    assert moved.data["fallback_from"] == first
    assert "We gave up after 2 attempts." in moved.message
    assert f"Moving the render to {LABEL[second]}, next in the team's list" in moved.message
    assert "credit hold stays" in moved.message
    assert creates(providers, first) == 2 and started(providers, first) == 0
    assert started(providers, second) == 1
    # One hold, placed and released under the first provider; the charge under the second.
    ledger = {e.kind: e for e in CreditEntry.objects.filter(job=job)}
    assert sorted(ledger) == ["charge", "hold", "release"]
    assert ledger["hold"].provider == ledger["release"].provider == first
    assert ledger["release"].amount == -ledger["hold"].amount
    assert ledger["charge"].provider == second


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize(
    ("first", "code"), [("crun", 505), ("lumenfall", 404)], ids=["crun-505", "lumenfall-disabled"]
)
def test_a_model_switched_off_moves_on_without_retrying(
    acme, asset_factory, providers, embedded_worker, first, code
):
    team_routes(acme, first, "replicate")
    misbehave(providers, first, create_error=code)

    job = wait_for(request_speech(asset_factory, acme, provider=""))

    assert job.status == JobStatus.SUCCEEDED and job.provider == "replicate"
    assert status_path(job)[:4] == ["queued", "submitting", "queued", "submitting"]
    assert "switched off" in job.events.get(data__fallback_to="replicate").message
    assert creates(providers, first) == 1


@pytest.mark.django_db(transaction=True)
def test_a_provider_that_keeps_rate_limiting_is_left_for_the_next(
    acme, asset_factory, providers, embedded_worker
):
    team_routes(acme, "replicate", "lumenfall")
    misbehave(providers, "replicate", create_error=429, retry_after=0.2)

    job = wait_for(request_speech(asset_factory, acme, provider=""))

    assert job.status == JobStatus.SUCCEEDED and job.provider == "lumenfall"
    assert creates(providers, "replicate") == 2


NO_FALLBACK = [
    ("crun", 402, "insufficient_credits"),
    ("lumenfall", 402, "insufficient_credits"),
    ("replicate", 402, "insufficient_credits"),
    ("crun", 401, "auth"),
    ("lumenfall", 401, "auth"),
    ("replicate", 401, "auth"),
    ("crun", 422, "invalid_request"),
    ("lumenfall", 400, "invalid_request"),
    ("replicate", 422, "invalid_request"),
]


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize(
    ("first", "code", "error_code"), NO_FALLBACK, ids=[f"{p}-{c}" for p, c, _ in NO_FALLBACK]
)
def test_a_request_or_account_error_fails_the_job_and_does_not_fall_back(
    acme, asset_factory, providers, embedded_worker, first, code, error_code
):
    second = "lumenfall" if first != "lumenfall" else "replicate"
    team_routes(acme, first, second)
    misbehave(providers, first, create_error=code)

    job = wait_for(request_speech(asset_factory, acme, provider=""))

    assert job.status == JobStatus.FAILED
    assert job.error_code == error_code
    assert job.provider == first
    assert status_path(job) == ["queued", "submitting", "failed"]
    assert not job.events.filter(data__has_key="fallback_to").exists()
    assert creates(providers, second) == 0
    assert CreditEntry.objects.filter(job=job, kind="hold").count() == 1


@pytest.mark.django_db(transaction=True)
def test_an_unanswered_create_is_resent_to_the_same_idempotent_provider_not_moved(
    acme, asset_factory, providers, embedded_worker, short_timeout
):
    team_routes(acme, "lumenfall", "replicate")
    misbehave(providers, "lumenfall", create_delay=1.5, create_delay_times=1)

    job = wait_for(request_speech(asset_factory, acme, provider=""))

    # The slow create started a video; the resent create returned it (same key), nothing moved.
    assert job.status == JobStatus.SUCCEEDED and job.provider == "lumenfall"
    assert creates(providers, "lumenfall") == 2 and started(providers, "lumenfall") == 1
    assert creates(providers, "replicate") == 0


@pytest.mark.django_db(transaction=True)
def test_after_an_unanswered_create_the_render_never_moves_to_another_provider(
    acme, asset_factory, providers, embedded_worker, short_timeout
):
    team_routes(acme, "lumenfall", "replicate")
    # The first create goes unanswered; every answer after it is "unavailable".
    misbehave(providers, "lumenfall", create_error=502, create_delay=1.5, create_delay_times=1)

    job = wait_for(request_speech(asset_factory, acme, provider=""))

    assert job.status == JobStatus.FAILED and job.provider == "lumenfall"
    assert "gave up after 2 attempts" in job.error_message
    assert creates(providers, "replicate") == 0


@pytest.fixture
def short_timeout(providers):
    get_provider("lumenfall").client.timeout = httpx.Timeout(1.0)
    yield
    get_provider.cache_clear()


# --- choosing -------------------------------------------------------------------------------


@pytest.fixture
def keys(settings):
    settings.LUMENFALL_API_KEY = lumenfall.API_KEY
    settings.REPLICATE_API_TOKEN = replicate.API_TOKEN
    settings.CRUN_API_KEY = ""


def test_provider_order_keeps_known_names_once_in_order(acme):
    team_routes(acme, "replicate", "lumenfall", "replicate", "nonsense", "crun")

    assert routing.provider_order(acme) == ["replicate", "lumenfall", "crun"]


def test_a_request_without_a_provider_goes_to_the_teams_first_configured_one(acme, keys, settings):
    settings.DEFAULT_PROVIDER = "sandbox"
    assert routing.chosen_provider(acme) == "sandbox"
    team_routes(acme, "crun", "replicate")
    assert routing.chosen_provider(acme) == "replicate"  # Crun has no key here
    assert routing.chosen_provider(acme, "lumenfall") == "lumenfall"


@pytest.fixture
def job(acme, asset_factory, keys) -> RenderJob:
    team_routes(acme, "lumenfall", "crun", "replicate", "sandbox")
    job = asset_factory.job(acme, status=JobStatus.SUBMITTING)
    job.provider = "lumenfall"
    return job


UNAVAILABLE_NOW = base.Unavailable("down")


def test_the_next_provider_skips_those_without_a_key(job):
    assert routing.next_provider(job, UNAVAILABLE_NOW) == "replicate"
    job.provider = "replicate"
    assert routing.next_provider(job, UNAVAILABLE_NOW) == "sandbox"
    job.provider = "sandbox"
    assert routing.next_provider(job, UNAVAILABLE_NOW) is None


def test_a_job_on_a_provider_outside_the_list_moves_to_the_list(job):
    job.provider = "crun"
    job.team.preferred_provider = ""
    job.team.fallback_providers = ["replicate"]

    assert routing.next_provider(job, UNAVAILABLE_NOW) == "replicate"


@pytest.mark.parametrize(
    "error",
    [
        base.InsufficientCredits("x"),
        base.AuthError("x"),
        base.InvalidRequest("x"),
        base.NotFound("x"),
        base.GenerationFailed("x"),
        base.ProtocolError("x"),
        base.NoAnswer("x"),
        base.IdempotentNoAnswer("x"),
    ],
    ids=lambda e: type(e).__name__,
)
def test_errors_that_may_mean_a_started_render_or_our_fault_never_move_a_job(job, error):
    assert routing.next_provider(job, error) is None


@pytest.mark.parametrize(
    "error",
    [base.Unavailable("x"), base.RateLimited("x"), base.FeatureDisabled("x")],
    ids=lambda e: type(e).__name__,
)
def test_errors_that_say_the_provider_cannot_take_it_move_a_job(job, error):
    assert routing.next_provider(job, error) == "replicate"


def test_a_job_with_an_unanswered_create_in_its_timeline_never_moves(job):
    JobEvent.objects.create(job=job, kind="status", actor="x", data={"code": "no_answer"})

    assert routing.next_provider(job, UNAVAILABLE_NOW) is None


# --- the team's settings --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("preferred", "fallbacks", "saved", "error"),
    [
        ("lumenfall", "replicate, crun", ["replicate", "crun"], ""),
        ("", "replicate crun", ["replicate", "crun"], ""),
        ("lumenfall", "", [], ""),
        ("lumenfall", "replicate, nonsense", None, "No provider is called nonsense"),
        ("lumenfall", "replicate, replicate", None, "Name each provider once"),
        ("lumenfall", "lumenfall, replicate", None, "tried first anyway"),
    ],
)
def test_the_team_form_takes_an_ordered_fallback_list(acme, preferred, fallbacks, saved, error):
    form = TeamForm(
        {"preferred_provider": preferred, "fallback_providers": fallbacks}, instance=acme
    )

    if error:
        assert not form.is_valid()
        assert error in str(form.errors["fallback_providers"])
    else:
        assert form.is_valid(), form.errors
        form.save()
        acme.refresh_from_db()
        assert (acme.preferred_provider, acme.fallback_providers) == (preferred, saved)


def test_the_team_admin_shows_the_routing_fields(acme, root, login):
    team_routes(acme, "lumenfall", "replicate", "crun")

    page = login(root).get(f"/admin/avatars/team/{acme.pk}/change/")

    assert page.status_code == 200
    assert 'name="preferred_provider"' in page.text
    assert 'value="replicate, crun"' in page.text
