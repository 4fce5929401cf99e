"""Captions: WebVTT cues that cover a script's words in order, inside the video's length."""

import itertools
import re

import pytest

from avatars import captions, word_timing
from avatars.models import JobStatus
from avatars.sandbox import speech
from tests.helpers.jobs import request_speech, wait_for

SCRIPT = (
    "Welcome to the studio, where every picture learns to speak clearly. Hello Ada! "
    "This is Acme & friends <team>, and we are glad you are here with us today."
)
TIMESTAMP = re.compile(r"^\d{2}:\d{2}:\d{2}\.\d{3} --> \d{2}:\d{2}:\d{2}\.\d{3}$")


def words_of(text: str) -> list[str]:
    return [text[a:b] for a, b in word_timing.tokens(text)]


def assert_cover_in_order(cue_list: list[captions.Cue], text: str, duration: float) -> None:
    assert cue_list
    spoken = [word for cue in cue_list for word in words_of(cue.text)]
    assert spoken == words_of(text)
    for cue, following in itertools.pairwise(cue_list):
        assert cue.end <= following.start + 1e-6
    for cue in cue_list:
        assert 0 <= cue.start < cue.end <= duration + 1e-6
        assert all(len(line) <= captions.LINE_CHARS * 1.5 for line in cue.text.splitlines())
        assert len(cue.text.splitlines()) <= 2


def test_cues_from_spoken_timings_follow_the_words():
    spoken = speech.synthesize(SCRIPT, "en-US")

    cue_list = captions.cues(SCRIPT, spoken.words, spoken.duration)

    assert_cover_in_order(cue_list, SCRIPT, spoken.duration)
    # A cue starts when its first word is spoken, to within a frame.
    starts = {word: start for word, start, _ in spoken.words}
    assert abs(cue_list[1].start - starts["Hello"]) < 0.04
    # Sentences start new cues and keep their punctuation.
    assert cue_list[0].text.endswith("clearly.")
    assert cue_list[1].text == "Hello Ada!"


def test_estimated_cues_stretch_over_the_real_length():
    for duration in (6.0, 12.5):
        words = word_timing.estimated_words(SCRIPT, "en-US", duration)

        cue_list = captions.cues(SCRIPT, words, duration)

        assert_cover_in_order(cue_list, SCRIPT, duration)
        assert cue_list[-1].end > duration * 0.85


def test_estimated_cues_are_close_to_real_speech():
    spoken = speech.synthesize(SCRIPT, "en-US")
    estimated = word_timing.estimated_words(SCRIPT, "en-US", spoken.duration)

    gaps = [abs(a[1] - b[1]) for a, b in zip(spoken.words, estimated, strict=True)]

    assert max(gaps) < 0.8
    assert sum(gaps) / len(gaps) < 0.35


def test_japanese_is_timed_by_characters():
    text = "こんにちは、みなさん。ようこそ。"
    cue_list = captions.cues(text, word_timing.estimated_words(text, "ja", 3.0), 3.0)

    assert_cover_in_order(cue_list, text, 3.0)


def test_webvtt_is_well_formed_and_escapes_markup():
    spoken = speech.synthesize(SCRIPT, "en-US")
    cue_list = captions.cues(SCRIPT, spoken.words, spoken.duration)

    vtt = captions.to_webvtt(cue_list)

    lines = vtt.splitlines()
    assert lines[0] == "WEBVTT"
    assert sum(bool(TIMESTAMP.match(line)) for line in lines) == len(cue_list)
    assert "<team>" not in vtt
    assert "&lt;team&gt;" in vtt
    assert "Acme &amp; friends" in vtt
    assert captions.parse_webvtt(vtt) == cue_list


@pytest.mark.django_db
def test_a_provider_render_gets_captions_scaled_to_its_length(asset_factory, acme):
    job = asset_factory.job(acme, provider="crun", text=SCRIPT)

    vtt = captions.for_job(job, 9.0)

    assert_cover_in_order(captions.parse_webvtt(vtt), SCRIPT, 9.0)


@pytest.mark.django_db
def test_an_audio_clip_render_has_no_captions(asset_factory, acme):
    clip = asset_factory.clip(acme)
    job = asset_factory.job(acme, audio_clip=clip, text="")

    assert captions.for_job(job, 3.0) == ""


@pytest.mark.django_db(transaction=True)
def test_a_sandbox_render_stores_captions_timed_by_its_speech(
    acme, asset_factory, sandbox, embedded_worker, client, alice
):
    job = wait_for(request_speech(asset_factory, acme, provider="sandbox"))

    assert job.status == JobStatus.SUCCEEDED
    assert job.captions.name.endswith(".vtt")
    cue_list = captions.parse_webvtt(job.captions.read().decode())
    assert_cover_in_order(cue_list, job.text, job.duration_seconds)
    client.force_login(alice)
    page = client.get(f"/studio/renders/{job.pk}/").content.decode()
    track = re.search(r'<track kind="captions"[^>]* src="([^"]+)"', page)
    assert track
    assert f'download="render-{job.pk}.vtt"' in page
    served = client.get(track.group(1))
    assert served.status_code == 200
    assert served["Content-Type"] == "text/vtt"
    assert b"".join(served.streaming_content).decode().startswith("WEBVTT")
