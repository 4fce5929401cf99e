"""Word timings travel with the result: the sandbox reports when it spoke each word, the adapter
checks them, the job keeps them, and the captions are timed by them instead of an estimate."""

import dramatiq
import pytest

from avatars import captions, word_timing
from avatars.models import JobStatus
from avatars.providers import base
from avatars.providers.sandbox import MAX_WORDS, SandboxProvider
from avatars.render.waiting import apply_state
from tests.helpers.jobs import request_speech, wait_for

TEXT = "Hello there. Welcome to the studio, everyone!"
# When a provider spoke each word: far from the estimate's even spread, so either is told apart.
SPOKEN = [
    ["Hello", 0.5, 0.9],
    ["there", 0.95, 1.3],
    ["Welcome", 4.0, 4.5],
    ["to", 4.5, 4.6],
    ["the", 4.6, 4.7],
    ["studio", 4.7, 5.2],
    ["everyone", 6.0, 6.6],
]


def task(**result: object) -> dict[str, object]:
    return {
        "task_id": "task_1",
        "status": "success",
        "result": {"code": 200, "media_urls": ["https://cdn.example/v.mp4"], **result},
    }


@pytest.fixture
def adapter() -> SandboxProvider:
    return SandboxProvider("http://sandbox.example", "key")


def test_the_adapter_reads_the_words_the_sandbox_spoke(adapter):
    state = adapter.task_state(task(words=SPOKEN))

    assert state.words == tuple(tuple(word) for word in SPOKEN)


@pytest.mark.parametrize(
    "words",
    [
        "Hello",
        {"Hello": 0.1},
        [["Hello", 0.1]],
        [["Hello", 0.1, 0.05]],
        [["Hello", 0.5, 0.6], ["there", 0.2, 0.3]],
        [["Hello", -0.1, 0.2]],
        [["Hello", float("nan"), 0.2]],
        [["Hello", True, 0.2]],
        [["Hello", "0.1", "0.2"]],
        [["", 0.1, 0.2]],
        [["x" * 101, 0.1, 0.2]],
        [[7, 0.1, 0.2]],
        [["word", i / 10, i / 10 + 0.05] for i in range(MAX_WORDS + 1)],
    ],
)
def test_implausible_timings_are_dropped_whole(adapter, words):
    state = adapter.task_state(task(words=words))

    assert state.status == base.TaskStatus.SUCCEEDED
    assert state.words == ()


def test_a_result_without_timings_has_none(adapter):
    assert adapter.task_state(task()).words == ()


@pytest.mark.django_db
def test_the_job_keeps_the_timings_when_it_moves_to_storing(acme, asset_factory):
    job = asset_factory.job(acme, status=JobStatus.PROCESSING, text=TEXT)
    state = base.TaskState(
        task_id="task_1",
        status=base.TaskStatus.SUCCEEDED,
        video_url="https://cdn.example/v.mp4",
        words=tuple((w, a, b) for w, a, b in SPOKEN),
    )

    apply_state(job, state, actor="test")
    dramatiq.get_broker().flush_all()

    job.refresh_from_db()
    assert job.status == JobStatus.STORING
    assert job.spoken_words == SPOKEN


@pytest.mark.django_db
def test_captions_are_timed_by_the_spoken_words(acme, asset_factory):
    job = asset_factory.job(acme, provider="crun", text=TEXT, spoken_words=SPOKEN)

    cue_list = captions.parse_webvtt(captions.for_job(job, 7.0))

    assert [cue.text for cue in cue_list] == ["Hello there.", "Welcome to the studio, everyone!"]
    assert [cue.start for cue in cue_list] == [0.5, 4.0]
    assert cue_list[-1].end == 6.6


@pytest.mark.django_db
def test_spoken_words_longer_than_the_video_are_squeezed_inside_it(acme, asset_factory):
    job = asset_factory.job(acme, text=TEXT, spoken_words=SPOKEN)

    cue_list = captions.parse_webvtt(captions.for_job(job, 3.3))

    assert cue_list[-1].end <= 3.3
    assert cue_list[1].start == pytest.approx(4.0 * 3.3 / 6.6, abs=1e-3)


@pytest.mark.django_db
def test_without_spoken_words_the_captions_are_estimated(acme, asset_factory):
    job = asset_factory.job(acme, provider="crun", text=TEXT)

    cue_list = captions.parse_webvtt(captions.for_job(job, 7.0))
    estimate = word_timing.estimated_words(TEXT, "en-US", 7.0)

    assert job.spoken_words == []
    assert cue_list[0].start == 0.0
    assert cue_list[1].start == pytest.approx(estimate[2][1], abs=1e-3)


@pytest.mark.django_db(transaction=True)
def test_a_draft_carries_its_spoken_words_into_its_captions(
    acme, asset_factory, sandbox, embedded_worker
):
    job = wait_for(request_speech(asset_factory, acme, provider="sandbox"))

    assert job.status == JobStatus.SUCCEEDED
    spoken = job.spoken_words
    assert [word for word, _, _ in spoken] == [
        job.text[a:b] for a, b in word_timing.tokens(job.text)
    ]
    assert all(0 <= start <= end <= job.duration_seconds + 0.05 for _, start, end in spoken)
    cue_list = captions.parse_webvtt(job.captions.read().decode())
    assert cue_list[0].start == pytest.approx(spoken[0][1], abs=1e-3)
