"""A render's live status (avatars/job_status.py): how far along it is, from how long its
provider takes for speech that long, what its badge and panel say, and its timeline; and the
feed the job page polls, which must say exactly what the page said when it was drawn.

alice (Marketing, Acme) watches her renders; charlie (Globex) sees none of them.
"""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from avatars import job_status
from avatars.job_status import Estimate, live_status, progress, share_done
from avatars.models import JobEvent, RenderJob

pytestmark = pytest.mark.django_db

NOW = timezone.now()
# 25 words of English at 150 a minute: ten seconds of speech.
TEN_SECONDS = " ".join(["word"] * 25)


def seconds_ago(seconds: float) -> datetime.datetime:
    return NOW - datetime.timedelta(seconds=seconds)


def at_provider(status: str = "processing", since: float = 0.0, **fields) -> RenderJob:
    """A job (not saved) that its provider has had for `since` seconds."""
    return RenderJob(status=status, submitted_at=seconds_ago(since), provider="crun", **fields)


def history(asset_factory, team, provider: str, took: list[float], spoken: float = 10.0):
    """Finished renders of `spoken` seconds that `provider` took `took` seconds each for."""
    for seconds in took:
        asset_factory.job(
            team,
            provider=provider,
            submitted_at=seconds_ago(seconds + 60),
            finished_at=seconds_ago(60),
            duration_seconds=spoken,
        )


# --- how far along -------------------------------------------------------------------------


def test_the_share_done_moves_evenly_to_eighty_percent_at_the_estimate():
    assert share_done(0, 40) == 0
    assert share_done(10, 40) == pytest.approx(0.2)
    assert share_done(20, 40) == pytest.approx(0.4)
    assert share_done(40, 40) == pytest.approx(0.8)


def test_past_the_estimate_it_keeps_moving_and_never_gets_there():
    later = [share_done(seconds, 40) for seconds in (40, 50, 80, 120, 400)]

    assert later == sorted(later) and len(set(later)) == len(later)
    assert all(0.8 <= done < 1 for done in later)


def test_a_long_render_keeps_moving_where_the_old_bar_sat_at_88_for_90_seconds():
    estimate = Estimate(seconds=120, spoken_seconds=30, learnt_from=20)

    # Polled every 15 s up to twice the estimate, then on for ten times as long.
    bar = [progress(at_provider(since=s), estimate, NOW) for s in range(0, 241, 15)]
    later = [progress(at_provider(since=s), estimate, NOW) for s in range(255, 2400, 15)]

    assert len(set(bar)) == len(bar) and bar == sorted(bar), bar
    assert bar[0] == job_status.PROVIDER_START
    assert later == sorted(later) and bar[-1] <= later[0] and later[-1] < 100


def test_it_is_never_100_before_the_job_is_final_and_always_100_after():
    estimate = Estimate(seconds=10, spoken_seconds=5, learnt_from=5)
    ages_ago = (0, 10, 100, 10_000, 10_000_000)

    running = [progress(at_provider(since=s), estimate, NOW) for s in ages_ago]
    storing = [progress(at_provider("storing", since=s), estimate, NOW) for s in ages_ago]
    final = [progress(RenderJob(status=status), None, NOW) for status in ("succeeded", "failed")]

    assert max(running + storing) == 99
    assert min(storing) >= 90  # the provider has finished: only the copy is left
    assert final == [100, 100]


def test_the_steps_before_the_provider_move_the_bar_a_little():
    steps = [
        progress(RenderJob(status=status), None, NOW)
        for status in ("awaiting_approval", "queued", "submitting")
    ]

    assert steps == sorted(steps) and steps[-1] < job_status.PROVIDER_START


# --- how long the provider takes -------------------------------------------------------------


def test_the_estimate_is_the_providers_median_time_per_second_of_speech(acme, asset_factory):
    # Crun took 30, 40 and 200 s for 10 s of speech: 4 s a second is the middle.
    history(asset_factory, acme, "crun", [30, 40, 200])
    history(asset_factory, acme, "lumenfall", [500, 500, 500])
    job = at_provider(text=f"{TEN_SECONDS} {TEN_SECONDS}")

    estimate = job_status.estimate_for(job)

    assert estimate == Estimate(seconds=80.0, spoken_seconds=20.0, learnt_from=3)


def test_until_a_provider_has_finished_a_few_renders_it_is_a_stated_guess(acme, asset_factory):
    history(asset_factory, acme, "crun", [30, 40])
    asset_factory.job(acme, "failed", provider="crun", submitted_at=seconds_ago(9))
    job = at_provider(text=TEN_SECONDS)

    estimate = job_status.estimate_for(job)
    said = job_status.panel_text(job, estimate, NOW)

    assert estimate.learnt_from == 0
    assert estimate.seconds == job_status.ASSUMED_DEFAULT * 10
    assert "a first guess" in said


def test_a_clip_counts_by_its_measured_length(acme, asset_factory):
    clip = asset_factory.clip(acme)
    job = at_provider(audio_clip=clip, text="")

    assert job_status.spoken_seconds(job) == pytest.approx(clip.duration_seconds)


def test_rates_are_read_once_per_provider_for_a_list(acme, asset_factory):
    history(asset_factory, acme, "crun", [30, 40, 50])
    jobs = [at_provider(since=s, text=TEN_SECONDS) for s in (5, 10, 15, 20)]
    rates: job_status.Rates = {}

    with CaptureQueriesContext(connection) as queries:
        bar = [job_status.percent_now(job, NOW, rates) for job in jobs]

    assert len(queries) == 1
    assert bar == sorted(bar)


# --- what it says ----------------------------------------------------------------------------


def test_the_panel_says_how_long_is_left_and_owns_up_when_it_runs_late(acme, asset_factory):
    history(asset_factory, acme, "crun", [40, 40, 40])
    early = at_provider(since=10, text=TEN_SECONDS)
    late = at_provider(since=100, text=TEN_SECONDS)
    estimate = job_status.estimate_for(early)

    assert job_status.panel_text(early, estimate, NOW) == (
        "Crun is rendering it; about 30 s left (renders this long usually take it 40 s)."
    )
    assert job_status.panel_text(late, estimate, NOW) == (
        "Crun is rendering it; taking longer than expected "
        "(renders this long usually take it 40 s)."
    )


def test_the_badge_panel_and_bar_text_come_from_one_status(acme, asset_factory):
    job = asset_factory.job(acme, "failed", error_message="The provider found no face.")

    live = live_status(job)

    assert (live.label, live.kind, live.final, live.percent) == ("Failed", "bad", True, 100)
    assert live.panel == "The render failed."
    assert live.error == "The provider found no face."
    assert live.value_text == "100 %: The render failed."


def test_the_timeline_is_given_from_after_an_event(acme, asset_factory):
    job = asset_factory.job(acme, "processing")
    first = JobEvent.objects.create(job=job, kind="status", actor="worker", to_status="queued")
    second = JobEvent.objects.create(
        job=job,
        kind="status",
        actor="poller",
        from_status="submitted",
        to_status="processing",
        message="The provider is rendering.",
    )
    JobEvent.objects.create(job=job, kind="note", actor="bob", message="Hurry.")

    everything = live_status(job)
    since_first = live_status(job, after_event=first.pk)
    nothing_new = live_status(job, after_event=since_first.last_event)

    assert [e["actor"] for e in everything.events] == ["worker", "poller", "bob"]
    assert since_first.events[0] == {
        "id": second.pk,
        "at": f"{timezone.localtime(second.created_at):%H:%M:%S}",
        "actor": "poller",
        "change": "submitted → processing",
        "message": "The provider is rendering.",
    }
    assert since_first.events[1]["change"] == ""
    assert nothing_new.events == [] and nothing_new.last_event == since_first.last_event


# --- the feed and the page -------------------------------------------------------------------


def test_the_feed_says_what_the_page_shows(alice, acme, asset_factory, login):
    history(asset_factory, acme, "crun", [40, 40, 40])
    job = asset_factory.job(
        acme, "processing", provider="crun", submitted_at=timezone.now(), text=TEN_SECONDS
    )
    event = JobEvent.objects.create(job=job, kind="status", actor="poller", to_status="processing")
    client = login(alice)

    page = client.get(f"/studio/renders/{job.pk}/")
    feed = client.get(f"/studio/renders/{job.pk}/status.json")
    drawn, polled = page.context["live"], feed.json()

    assert feed["Cache-Control"] == "no-store"
    assert polled["label"] == drawn.label == "Processing"
    assert polled["panel"] == drawn.panel
    assert abs(polled["percent"] - drawn.percent) <= 1  # a moment later
    assert polled["last_event"] == drawn.last_event == event.pk
    html = page.content.decode()
    assert 'id="status-badge" title="Processing">Processing</span>' in html
    assert f'aria-valuenow="{drawn.percent}"' in html and 'aria-valuemax="100"' in html
    assert f'aria-valuetext="{drawn.value_text}"' in html
    assert f'data-after="{event.pk}"' in html


def test_the_feed_sends_only_new_timeline_entries(alice, acme, asset_factory, login):
    job = asset_factory.job(acme, "queued")
    old = JobEvent.objects.create(job=job, kind="status", actor="web", to_status="queued")
    new = JobEvent.objects.create(job=job, kind="status", actor="worker", to_status="submitting")
    url = f"/studio/renders/{job.pk}/status.json"
    client = login(alice)

    after_old = client.get(url, {"after": old.pk}).json()
    junk = client.get(url, {"after": "x"}).json()

    assert [e["id"] for e in after_old["events"]] == [new.pk]
    assert [e["id"] for e in junk["events"]] == [old.pk, new.pk]


def test_the_feed_costs_a_fixed_number_of_queries(alice, acme, asset_factory, login):
    job = asset_factory.job(acme, "processing", provider="crun", submitted_at=timezone.now())
    for n in range(30):
        JobEvent.objects.create(job=job, kind="note", actor="worker", message=f"note {n}")
    client = login(alice)
    client.get(f"/studio/renders/{job.pk}/status.json")

    with CaptureQueriesContext(connection) as queries:
        client.get(f"/studio/renders/{job.pk}/status.json")

    # session, user, teams, the job, its provider's recent renders, the timeline
    assert len(queries) <= 6, [q["sql"] for q in queries]


def test_another_team_gets_404_from_the_feed(charlie, acme, asset_factory, login):
    job = asset_factory.job(acme, "processing")

    assert login(charlie).get(f"/studio/renders/{job.pk}/status.json").status_code == 404


def test_a_final_job_page_does_not_poll(alice, acme, asset_factory, login):
    job = asset_factory.job(acme, "succeeded")

    html = login(alice).get(f"/studio/renders/{job.pk}/").content.decode()

    assert "job-status.js" not in html and 'role="progressbar"' not in html
