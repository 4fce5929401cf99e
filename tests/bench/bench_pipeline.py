"""Pipeline overhead: jobs from request to stored video against a zero-latency Crun.

The app's steps are called directly in a loop (render.request_render, submit, poll, store),
one job at a time in this thread, exactly as the actors would call them; the messages they
send go to the in-process StubBroker, which nobody consumes (it is flushed between jobs), so
no queue delay or poll back-off is counted. The baseline is a plain httpx loop making the
same three calls (CreateTask, TaskInfo, GET result) against the same fake.
"""

from __future__ import annotations

import time
from collections import Counter
from dataclasses import dataclass, field

import dramatiq
import httpx
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from avatars import render
from avatars.models import JobStatus, RenderJob, Team
from tests.fakes.crun import API_KEY, CREATE_PATH, INFO_PATH, InstantCrun

PHASES = ("request_render", "submit", "poll", "store")


@dataclass
class PipelineRun:
    jobs: int
    seconds: float
    phases: dict[str, float]
    succeeded: int
    failures: list[str] = field(default_factory=list)


def render_request(team: Team) -> render.RenderRequest:
    """A script render of a consented avatar on the "crun" provider, as a marketer asks."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    from avatars import media
    from avatars.library import attach_portrait
    from avatars.models import Avatar, Script, Voice
    from avatars.scripts import save_with_revision
    from tests.files import portrait_bytes

    upload = SimpleUploadedFile("p.jpg", portrait_bytes(seed=1, size=(300, 400)))
    avatar = Avatar(
        team=team,
        name="Speaker",
        consent_person="A. Person",
        consent_scope="any",
        consent_expires=timezone.localdate() + timezone.timedelta(days=90),
    )
    attach_portrait(avatar, media.prepare_portrait(upload))
    avatar.save()
    script = Script(team=team, title="Hello", text="Hello {{name}}, this is a test render.")
    save_with_revision(script, None)
    voice = Voice.objects.create(team=team, name="Host", speaker="Kore", language="en-US")
    return render.RenderRequest(
        team=team,
        user=None,
        avatar=avatar,
        script=script,
        voice=voice,
        variables={"name": "Ada"},
        provider="crun",
    )


def run_pipeline(request: render.RenderRequest, jobs: int) -> PipelineRun:
    broker = dramatiq.get_broker()
    phases = dict.fromkeys(PHASES, 0.0)
    ids = []
    clock = time.perf_counter
    started = clock()
    for _ in range(jobs):
        t0 = clock()
        job = render.request_render(request)
        t1 = clock()
        render.submit(job.pk)
        t2 = clock()
        render.poll(job.pk)
        t3 = clock()
        render.store(job.pk)
        t4 = clock()
        broker.flush_all()
        phases["request_render"] += t1 - t0
        phases["submit"] += t2 - t1
        phases["poll"] += t3 - t2
        phases["store"] += t4 - t3
        ids.append(job.pk)
    seconds = clock() - started
    finished = RenderJob.objects.filter(pk__in=ids)
    succeeded = finished.filter(status=JobStatus.SUCCEEDED).count()
    failures = [
        f"job {pk}: {status} {message}"
        for pk, status, message in finished.exclude(status=JobStatus.SUCCEEDED).values_list(
            "pk", "status", "error_message"
        )[:5]
    ]
    return PipelineRun(jobs, seconds, phases, succeeded, failures)


def run_baseline(fake: InstantCrun, jobs: int) -> float:
    """The same three HTTP calls per job, with nothing around them."""
    payload = {
        "model": "prunaai/p-video-avatar",
        "callback_url": "http://127.0.0.1:8000/callbacks/crun/1/token",
        "input": {
            "image_url": "http://127.0.0.1:8000/media/s/token",
            "text": "Hello Ada, this is a test render.",
            "resolution": "720p",
            "voice": "Kore",
            "voice_language": "English (US)",
            "disable_safety_filter": False,
        },
    }
    with httpx.Client(base_url=fake.url, headers={"x-api-key": API_KEY}, timeout=30) as client:
        started = time.perf_counter()
        for _ in range(jobs):
            task_id = client.post(CREATE_PATH, json=payload).json()["data"]["task_id"]
            info = client.get(INFO_PATH, params={"task_id": task_id}).json()["data"]
            video = client.get(info["result"]["media_urls"][0])
            assert video.status_code == 200 and video.content
        return time.perf_counter() - started


def queries_per_job(request: render.RenderRequest, jobs: int) -> dict[str, Counter[str]]:
    """SQL statements each step runs, averaged over `jobs`, by kind (SELECT, INSERT…)."""
    broker = dramatiq.get_broker()
    counts = {phase: Counter() for phase in PHASES}
    for _ in range(jobs):
        with CaptureQueriesContext(connection) as captured:
            job = render.request_render(request)
        _count(counts["request_render"], captured)
        for phase, step in (("submit", render.submit), ("poll", render.poll)):
            with CaptureQueriesContext(connection) as captured:
                step(job.pk)
            _count(counts[phase], captured)
        with CaptureQueriesContext(connection) as captured:
            render.store(job.pk)
        _count(counts["store"], captured)
        broker.flush_all()
    return {
        phase: Counter({kind: n / jobs for kind, n in counter.items()})
        for phase, counter in counts.items()
    }


def _count(counter: Counter[str], captured: CaptureQueriesContext) -> None:
    for query in captured.captured_queries:
        verb = query["sql"].lstrip().split(None, 1)[0].upper()
        counter[verb if verb in ("SELECT", "INSERT", "UPDATE", "DELETE") else "TX"] += 1
