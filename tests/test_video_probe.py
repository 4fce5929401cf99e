"""Probing a downloaded result: real videos are measured, anything else is named and refused."""

import io
import json
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from avatars.video import NotAVideo, VideoInfo, poster_jpeg, probe_video
from tests.files import image_bytes, mp4_bytes, tone, wav_bytes


@pytest.fixture(scope="module")
def videos(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("videos")
    made = {
        "talking.mp4": mp4_bytes(),
        "silent.mp4": mp4_bytes(audio=False),
        "clip.webm": mp4_bytes(fmt="webm", codec="libvpx-vp9", audio=False),
        "short.mp4": mp4_bytes(seconds=0.2, audio=False),
    }
    for name, data in made.items():
        (folder / name).write_bytes(data)
    return {name: folder / name for name in made}


def test_it_measures_a_video_with_sound(videos):
    info = probe_video(videos["talking.mp4"])

    assert info.duration == pytest.approx(1.0, abs=0.1)
    assert (info.width, info.height) == (128, 72)
    assert info.has_audio is True
    assert info.codec == "h264"


def test_it_measures_a_video_without_sound(videos):
    info = probe_video(videos["silent.mp4"])

    assert info == VideoInfo(
        duration=pytest.approx(1.0, abs=0.1), width=128, height=72, has_audio=False, codec="h264"
    )


def test_it_accepts_webm(videos):
    info = probe_video(videos["clip.webm"])

    assert (info.width, info.height, info.codec) == (128, 72, "vp9")
    assert info.duration == pytest.approx(1.0, abs=0.1)


def _wav() -> bytes:
    return wav_bytes(tone(1.0))


def _cut_in_half() -> bytes:
    whole = mp4_bytes(audio=False)
    return whole[: len(whole) // 2]


@pytest.mark.parametrize(
    ("content", "words"),
    [
        (b"<!DOCTYPE html><html><body>Access denied</body></html>", "HTML web page"),
        (b"\n  <html><head><title>502</title></head></html>", "HTML web page"),
        (json.dumps({"error": "expired"}).encode(), "JSON document"),
        (image_bytes((64, 64), "PNG"), "PNG image"),
        (image_bytes((64, 64), "JPEG"), "JPEG image"),
        (b"", "empty"),
        (_wav(), "WAV sound recording"),
        (b"#EXTM3U\n#EXTINF:1,\nfile:///etc/passwd\n", "HLS playlist"),
        (b"Service temporarily unavailable, please retry\n", "plain text"),
        (mp4_bytes(picture=False), "only sound"),
        (_cut_in_half(), "incomplete or damaged"),
        (bytes(range(256)) * 8, "not an MP4 or WebM video"),
    ],
    ids=[
        "html",
        "html-after-blank",
        "json",
        "png",
        "jpeg",
        "empty",
        "wav",
        "playlist",
        "text",
        "audio-only-mp4",
        "truncated-mp4",
        "unknown",
    ],
)
def test_it_names_what_a_non_video_is(tmp_path, content: bytes, words: str):
    path = tmp_path / "result.part"
    path.write_bytes(content)

    with pytest.raises(NotAVideo, match=words):
        probe_video(path)
    with pytest.raises(NotAVideo, match=words):
        poster_jpeg(path)


def _brightness(jpeg: bytes) -> float:
    return float(np.asarray(Image.open(io.BytesIO(jpeg)).convert("L")).mean())


def test_the_poster_is_a_jpeg_of_the_frame_half_a_second_in(videos):
    jpeg = poster_jpeg(videos["talking.mp4"])

    image = Image.open(io.BytesIO(jpeg))
    assert image.format == "JPEG"
    assert image.size == (128, 72)
    # Frames brighten from 0 to 255 over the second: half a second in is mid-grey.
    assert _brightness(jpeg) == pytest.approx(128, abs=20)


def test_the_poster_keeps_the_aspect_when_shrunk(videos):
    image = Image.open(io.BytesIO(poster_jpeg(videos["silent.mp4"], max_side=64)))

    assert image.size == (64, 36)


def test_the_poster_of_a_short_video_is_its_first_frame(videos):
    jpeg = poster_jpeg(videos["short.mp4"], at_seconds=0.5)

    assert _brightness(jpeg) < 20


def test_the_poster_of_a_webm_is_taken_too(videos):
    jpeg = poster_jpeg(videos["clip.webm"], at_seconds=0.8)

    assert _brightness(jpeg) == pytest.approx(0.8 * 255, abs=25)
