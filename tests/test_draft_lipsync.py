"""The sandbox draft looks alive: the mouth follows the speech, the eyes blink, the head moves.

Every check decodes the encoded MP4 and measures pixels, comparing two renders that differ in
one thing only, so head motion and blinks (which depend on the video's length alone) cancel out.
"""

import itertools
from pathlib import Path

import av
import numpy as np
import pytest
from PIL import Image

from avatars.sandbox import speech, video, visemes
from avatars.sandbox.face import find_face
from avatars.sandbox.video import render_talking_head

DEMO = Path(__file__).resolve().parent.parent / "avatars" / "demo"
RATE = 22050
FPS = 25


def frames_of(path: Path) -> list[np.ndarray]:
    with av.open(str(path)) as container:
        return [f.to_ndarray(format="gray").astype(np.int16) for f in container.decode(video=0)]


def face_of(portrait: Image.Image, size: tuple[int, int] = (1280, 720)):
    canvas, placed = video._compose(portrait.convert("RGB"), *size)
    return find_face(canvas, placed)


@pytest.fixture(scope="module")
def speech_with_pauses() -> tuple[np.ndarray, list[tuple[str, float]]]:
    """One second of silence, a sentence, a second and a half of silence, a sentence, silence."""
    first = speech.synthesize("Welcome to the studio, everyone.", "en-US")
    second = speech.synthesize("Every picture learns to speak.", "en-US")
    gap, tail = np.zeros(RATE, np.float32), np.zeros(int(RATE * 1.5), np.float32)
    offset_two = (len(gap) + len(first.samples) + len(tail)) / RATE
    audio = np.concatenate([gap, first.samples, tail, second.samples, gap])
    phonemes = [(p, at + 1.0) for p, at in first.phonemes]
    phonemes += [(p, at + offset_two) for p, at in second.phonemes]
    return audio, phonemes


@pytest.fixture(scope="module")
def grace_pair(tmp_path_factory, speech_with_pauses):
    """Grace Hopper speaking, and the same length of silence: same motion, same blinks."""
    audio, phonemes = speech_with_pauses
    folder = tmp_path_factory.mktemp("pair")
    portrait = Image.open(DEMO / "grace-hopper.jpg")
    spoken = render_talking_head(portrait, audio, RATE, folder / "s.mp4", phonemes=phonemes)
    silent = render_talking_head(portrait, np.zeros_like(audio), RATE, folder / "q.mp4")
    assert silent.frames == spoken.frames
    return spoken, frames_of(folder / "s.mp4"), frames_of(folder / "q.mp4"), face_of(portrait)


def frame_energy(audio: np.ndarray, frames: int) -> np.ndarray:
    bounds = np.round(np.arange(1, frames) * RATE / FPS).astype(int)
    return np.array([np.sqrt(np.mean(part**2)) for part in np.split(audio, bounds)])


def test_the_mouth_moves_in_step_with_the_speech_energy(grace_pair, speech_with_pauses):
    rendered, spoken, silent, face = grace_pair
    audio, _ = speech_with_pauses
    x, y, w, h = face.box
    mouth = (slice(y + int(h * 0.62), y + h), slice(x + w // 4, x + 3 * w // 4))
    change = np.array(
        [np.abs(a[mouth] - b[mouth]).mean() for a, b in zip(spoken, silent, strict=True)]
    )
    energy = frame_energy(audio, len(change))

    assert rendered.face_found
    assert len(spoken) == len(silent) == rendered.frames
    talking = energy > 0.02
    assert change[talking].mean() > 6
    # More energy, more open: the mouth's change follows the speech's loudness.
    assert np.corrcoef(change, energy)[0, 1] > 0.6


def test_the_mouth_stays_still_in_the_silences(grace_pair, speech_with_pauses):
    _, spoken, silent, face = grace_pair
    audio, _ = speech_with_pauses
    x, y, w, h = face.box
    mouth = (slice(y + int(h * 0.62), y + h), slice(x + w // 4, x + 3 * w // 4))
    # What the speech added to each frame; where that stops changing, the mouth is still.
    added = [a[mouth] - b[mouth] for a, b in zip(spoken, silent, strict=True)]
    movement = np.array([0.0] + [np.abs(b - a).mean() for a, b in itertools.pairwise(added)])
    energy = frame_energy(audio, len(movement))
    # Frames at least 0.3 s away from any sound: the mouth has had time to close.
    quiet = np.convolve(energy > 1e-4, np.ones(15), mode="same") == 0
    talking = energy > 0.02

    assert quiet.sum() > 40
    # What is left in a silence is the encoder's noise, a fraction of what speaking moves.
    assert movement[quiet].mean() < 0.8
    assert movement[quiet].mean() < movement[talking].mean() / 3
    assert movement[quiet].max() < 2.0


def test_the_mouth_takes_the_shape_of_each_sound():
    loud = np.ones(10, dtype=np.float32)
    track = visemes.from_phonemes(
        [("m", 0.0), ("ˈɑː", 0.08), ("i", 0.16), ("uː", 0.24), ("b", 0.32)], loud, FPS
    )

    assert visemes.kind_of("ˈaɪ") == "open"
    assert visemes.kind_of("tʃ") == "round"  # "ch" pushes the lips forward
    assert visemes.kind_of("t") == "consonant"
    assert track.openness[1] < 0.1  # m: lips pressed
    assert track.openness[3] > track.openness[5]  # ɑ opens wider than i
    assert track.width[5] > track.width[7]  # i stretches, u rounds
    assert track.openness[9] < track.openness[7]  # closing again for b


def test_a_silent_mouth_never_opens_whatever_the_phonemes_say():
    track = visemes.from_phonemes([("ɑ", 0.0)], np.zeros(20, dtype=np.float32), FPS)

    assert not track.openness.any()


def test_the_eyes_blink_every_few_seconds_and_nothing_else_changes(tmp_path, monkeypatch):
    monkeypatch.setattr(video, "ZOOM", 0.0)
    monkeypatch.setattr(video, "SWAY_DEGREES", (0.0, 0.0))
    monkeypatch.setattr(video, "NOD", 0.0)
    portrait = Image.open(DEMO / "eileen-collins.png")
    face = face_of(portrait)
    assert len(face.eyes) == 2
    out = tmp_path / "still.mp4"

    render_talking_head(portrait, np.zeros(RATE * 8, np.float32), RATE, out)

    frames = frames_of(out)
    closed = video.blink_track(len(frames), FPS)
    blinks = np.flatnonzero(np.diff((closed > 0).astype(int)) == 1) + 1
    assert 2 <= len(blinks) <= 4
    first, open_frame = frames[0], frames[int(blinks[0]) - 2]
    shut_frame = frames[int(np.argmax(closed[: blinks[0] + 5]))]
    for ex, ey, ew, eh in face.eyes:
        eye = (slice(ey, ey + eh), slice(ex, ex + ew))
        assert np.abs(shut_frame[eye] - open_frame[eye]).mean() > 4
    # Away from the eyes, an eight-second video without speech or motion stays as it was.
    x, y, w, h = face.box
    below_eyes = (slice(y + h // 2 + h // 8, y + h), slice(x, x + w))
    assert np.abs(shut_frame[below_eyes] - first[below_eyes]).mean() < 1.5


def test_without_a_face_the_picture_moves_with_the_voice_and_says_so(tmp_path):
    portrait = Image.new("RGB", (600, 800), (60, 120, 90))
    tone = np.sin(np.linspace(0, 2 * np.pi * 220 * 2, RATE * 2)).astype(np.float32) * 0.5

    rendered = render_talking_head(portrait, tone, RATE, tmp_path / "x.mp4")

    assert not rendered.face_found
    assert rendered.notes == [video.NO_FACE_NOTE]
    assert "no face" in rendered.notes[0]


def test_the_head_moves_gently_while_nobody_speaks(tmp_path):
    portrait = Image.open(DEMO / "grace-hopper.jpg")
    out = tmp_path / "idle.mp4"

    render_talking_head(portrait, np.zeros(RATE * 3, np.float32), RATE, out)

    frames = frames_of(out)
    steps = [np.abs(frames[i + 10] - frames[i]).mean() for i in range(0, len(frames) - 10, 10)]
    assert min(steps) > 0.3  # never frozen
    assert max(steps) < 12  # never a jump


def test_a_vertical_video_keeps_the_portrait_undistorted(tmp_path):
    portrait = Image.open(DEMO / "grace-hopper.jpg")
    out = tmp_path / "tall.mp4"

    rendered = render_talking_head(
        portrait, np.zeros(RATE, np.float32), RATE, out, resolution=(720, 1280)
    )

    with av.open(str(out)) as container:
        stream = container.streams.video[0]
        assert (stream.width, stream.height) == (720, 1280)
    assert rendered.face_found
    face = face_of(portrait, (720, 1280))
    assert abs(face.box[2] / face.box[3] - 1) < 0.05
