"""Audio clips uploaded through the admin: what is accepted, what is refused and why.

alice (Marketing, Acme) uploads; charlie (Marketing, Globex) shows that another team may
hold the same recording.
"""

import hashlib
import html
import re
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from avatars.models import AudioClip, Team
from tests.conftest import stored_files
from tests.files import encoded_bytes, tone, wav_bytes

ADD_URL = "/admin/avatars/audioclip/add/"
LIST_URL = "/admin/avatars/audioclip/"
RATE = 22050


def mp3_bytes(samples: np.ndarray, rate: int = 16000) -> bytes:
    return encoded_bytes(samples, "mp3", "libmp3lame", rate)


def flac_bytes(samples: np.ndarray, rate: int = 16000) -> bytes:
    return encoded_bytes(samples, "flac", "flac", rate)


MAKERS: dict[str, Callable[..., bytes]] = {"wav": wav_bytes, "mp3": mp3_bytes, "flac": flac_bytes}


def post_recording(client: Client, team: Team, filename: str, data: bytes, title: str = ""):
    form = {
        "team": team.pk,
        "title": title or filename,
        "recording": SimpleUploadedFile(filename, data, content_type="application/octet-stream"),
    }
    return client.post(ADD_URL, form)


def refusal(response) -> str:
    """The recording's error, checked to be on the page as well as in the form."""
    assert response.status_code == 200, "a refused upload re-displays the form"
    message = " ".join(response.context["adminform"].form.errors.get("recording", []))
    assert message, "the refusal is explained on the recording field"
    assert html.escape(message) in response.content.decode()
    return message


def half(data: bytes) -> bytes:
    return data[: len(data) // 2]


def scrambled(data: bytes) -> bytes:
    """A valid FLAC header followed by random bytes where the audio frames were."""
    return data[:8192] + np.random.default_rng(1).bytes(len(data) - 8192)


REFUSALS = [
    (
        "noise.mp3",
        lambda: np.random.default_rng(0).bytes(20_000),
        "not a WAV, MP3 or FLAC recording",
    ),
    ("invoice.wav", lambda: b"%PDF-1.7\n1 0 obj << >> endobj\n" * 60, "looks like a PDF"),
    ("song.wav", lambda: mp3_bytes(tone(2)), "named .wav but holds an MP3 recording"),
    ("cut.wav", lambda: half(wav_bytes(tone(3))), "incomplete: it says it lasts 3.0 s"),
    ("cut.mp3", lambda: half(mp3_bytes(tone(3))), "incomplete: it says it lasts 3.0 s"),
    ("cut.flac", lambda: half(flac_bytes(tone(3))), "FLAC file is damaged"),
    ("scrambled.flac", lambda: scrambled(flac_bytes(tone(3))), "incomplete or damaged"),
    ("header-only.wav", lambda: wav_bytes(np.zeros(0, np.float32)), "contains no sound"),
    ("blip.wav", lambda: wav_bytes(tone(0.2)), "only 0.20 s long; a clip needs at least 0.5 s"),
    ("quiet.wav", lambda: wav_bytes(np.zeros(32_000, np.float32)), "silent"),
    (
        "long.wav",
        lambda: wav_bytes(tone(301, 8000), 8000),
        "5 min 1 s long; clips can be at most 5 min",
    ),
    ("speech.ogg", lambda: wav_bytes(tone(2)), "“.ogg” files are not accepted"),
    ("speech.m4a", lambda: wav_bytes(tone(2)), "“.m4a” files are not accepted"),
]


@pytest.mark.parametrize("fmt", ["wav", "mp3", "flac"])
def test_it_accepts_a_recording_and_measures_it(alice, acme, login, media_root: Path, fmt: str):
    samples = tone(2.345, RATE)
    data = MAKERS[fmt](samples, rate=RATE)

    response = post_recording(login(alice), acme, f"Welcome.{fmt}", data, title="Welcome")

    assert response.status_code == 302, (
        response.context and response.context["adminform"].form.errors
    )
    clip = AudioClip.objects.get()
    assert (clip.team, clip.title, clip.format, clip.created_by) == (acme, "Welcome", fmt, alice)
    assert abs(clip.duration_seconds - len(samples) / RATE) <= 0.05
    assert (clip.sample_rate, clip.channels) == (RATE, 1)
    assert clip.size_bytes == len(data)
    assert clip.sha256 == hashlib.sha256(data).hexdigest()
    assert clip.file.name.startswith(f"audio/{acme.pk}/") and clip.file.name.endswith(f".{fmt}")
    assert stored_files(media_root) == [media_root / clip.file.name]
    assert (media_root / clip.file.name).read_bytes() == data


@pytest.mark.parametrize(("filename", "make", "message"), REFUSALS, ids=[r[0] for r in REFUSALS])
def test_it_refuses_bad_recordings_with_a_reason_and_stores_nothing(
    alice, acme, login, media_root: Path, filename: str, make: Callable[[], bytes], message: str
):
    response = post_recording(login(alice), acme, filename, make())

    assert message in refusal(response)
    assert not AudioClip.objects.exists()
    assert stored_files(media_root) == []


def test_it_refuses_a_file_over_the_upload_limit(alice, acme, login, media_root: Path, settings):
    settings.AUDIO_MAX_UPLOAD_BYTES = 1_000_000
    data = wav_bytes(tone(40))
    assert len(data) > settings.AUDIO_MAX_UPLOAD_BYTES

    response = post_recording(login(alice), acme, "talk.wav", data)

    message = refusal(response)

    assert message.startswith("The file is")
    assert "recordings can be at most 1.0 MB" in message
    assert not AudioClip.objects.exists()
    assert stored_files(media_root) == []


def test_it_refuses_the_same_recording_twice_in_one_team_but_not_in_another(
    alice, charlie, acme, globex, login, media_root: Path
):
    data = wav_bytes(tone(2))
    assert post_recording(login(alice), acme, "intro.wav", data, title="Intro").status_code == 302

    again = post_recording(login(alice), acme, "intro-copy.wav", data, title="Intro copy")

    assert "already in Acme's library as “Intro”" in refusal(again)
    assert list(AudioClip.objects.values_list("title", flat=True)) == ["Intro"]
    assert len(stored_files(media_root)) == 1

    elsewhere = post_recording(login(charlie), globex, "intro.wav", data, title="Intro")

    assert elsewhere.status_code == 302
    assert AudioClip.objects.get(team=globex).sha256 == hashlib.sha256(data).hexdigest()
    assert len(stored_files(media_root)) == 2


def test_its_change_page_plays_the_recording_through_a_signed_link(alice, acme, login):
    data = flac_bytes(tone(1.5))
    client = login(alice)
    assert post_recording(client, acme, "hello.flac", data, title="Hello").status_code == 302
    clip = AudioClip.objects.get()

    page = client.get(f"/admin/avatars/audioclip/{clip.pk}/change/")

    assert page.status_code == 200
    match = re.search(r'<audio controls preload="none" src="([^"]+)"', page.content.decode())
    assert match, "the change page has an audio player"
    src = html.unescape(match.group(1))
    assert src.startswith("/m/")
    served = client.get(src)
    assert served.status_code == 200
    assert served["Content-Type"].startswith("audio/")
    assert b"".join(served.streaming_content) == data
    token = src.split("/")[2]
    forged = f"/m/{token[:-1]}{'B' if token.endswith('A') else 'A'}/"
    assert client.get(forged).status_code == 404, "a tampered link serves nothing"


def test_its_changelist_shows_the_length_as_minutes_and_seconds(alice, acme, login):
    client = login(alice)
    data = wav_bytes(tone(61.5, 8000), 8000)
    assert post_recording(client, acme, "pitch.wav", data, title="Pitch").status_code == 302

    page = client.get(LIST_URL)

    assert page.status_code == 200
    assert "1:01.5" in page.content.decode()


def test_its_changelist_carries_rounded_seconds_into_the_minute(alice, acme, login):
    client = login(alice)
    data = wav_bytes(tone(59.96, 8000), 8000)
    assert post_recording(client, acme, "pitch.wav", data, title="Pitch").status_code == 302

    content = client.get(LIST_URL).content.decode()

    assert "0:60.0" not in content
    assert "1:00.0" in content


def test_it_calls_a_flac_cut_short_early_incomplete_not_another_format(alice, acme, login):
    data = flac_bytes(tone(3))
    response = post_recording(login(alice), acme, "cut.flac", data[: len(data) // 4])

    message = refusal(response)

    assert "not a WAV, MP3 or FLAC" not in message
    assert "damaged" in message or "incomplete" in message
