"""How far the mouth opens and how wide it stretches, frame by frame.

From espeak-ng's phonemes when the words are known (a script), else from the loudness of the
recording (an uploaded clip). Either way the mouth is shut wherever the audio is silent.
"""

from dataclasses import dataclass

import numpy as np

# (openness 0–1, width relative to the lips at rest) per kind of sound.
SHAPES: dict[str, tuple[float, float]] = {
    "closed": (0.0, 0.95),  # m b p: lips pressed
    "teeth": (0.15, 1.05),  # f v: lower lip under the teeth
    "round": (0.5, 0.7),  # u o w ʃ: lips pushed forward
    "open": (1.0, 1.0),  # a ɑ æ ʌ
    "mid": (0.65, 1.05),  # e ɛ ə ɜ
    "spread": (0.35, 1.2),  # i ɪ: a smile-like stretch
    "consonant": (0.3, 1.0),  # t d n l s k g ɹ h …
}
_KINDS = {
    "closed": "mbpɱ",
    "teeth": "fv",
    "round": "uoɔʊwʃʒɵøœyʉɯ",
    "open": "aɑæʌɒɐ",
    "mid": "eɛəɚɜɘɤ",
    "spread": "iɪjɨ",
}
_MARKS = "ˈˌːˑ̃ʲʰ'"
# Frames over which the mouth eases towards a new shape: it moves, it does not jump.
EASE = 0.55


@dataclass(frozen=True)
class MouthTrack:
    openness: np.ndarray  # per frame, 0–1
    width: np.ndarray  # per frame, relative to rest


def kind_of(phoneme: str) -> str:
    """The mouth shape an IPA phoneme (as espeak-ng spells it) needs."""
    sound = phoneme.strip(_MARKS)
    for char in sound:
        for kind, letters in _KINDS.items():
            if char in letters:
                # A diphthong starts where its first vowel does; a consonant cluster by its first.
                return kind
    return "consonant"


def from_phonemes(phonemes: list[tuple[str, float]], loudness: np.ndarray, fps: int) -> MouthTrack:
    """Shape each frame after the phoneme sounding at its middle, shut where it is silent."""
    frames = len(loudness)
    starts = np.array([at for _, at in phonemes], dtype=float)
    targets = np.array([SHAPES[kind_of(name)] for name, _ in phonemes], dtype=float)
    middles = (np.arange(frames) + 0.5) / fps
    index = np.searchsorted(starts, middles, side="right") - 1
    shape = np.where(index[:, None] >= 0, targets[np.clip(index, 0, None)], SHAPES["closed"])
    speaking = loudness > 0
    # Loud vowels open wider than quiet ones; a phoneme does not open a silent mouth.
    openness = np.where(speaking, shape[:, 0] * (0.55 + 0.45 * loudness), 0.0)
    width = np.where(speaking, shape[:, 1], 1.0)
    return MouthTrack(_ease(openness), _ease(width))


def from_loudness(loudness: np.ndarray) -> MouthTrack:
    """Open with the level of the recording, at the width of an open vowel."""
    return MouthTrack(_ease(loudness), np.ones_like(loudness))


def loudness(samples: np.ndarray, sample_rate: int, fps: int, frames: int) -> np.ndarray:
    """Per video frame, how loud the audio is (0–1); exactly 0 where it is silent."""
    bounds = np.round(np.arange(1, frames) * sample_rate / fps).astype(int)
    # Views, one per frame: squaring the whole signal at once would double a long clip's memory.
    rms = np.array(
        [np.sqrt(np.dot(part, part) / max(len(part), 1)) for part in np.split(samples, bounds)]
    )
    loud = float(np.percentile(rms, 90)) if len(rms) else 0.0
    if loud <= 1e-4:
        return np.zeros(frames, dtype=np.float32)
    floor = loud * 0.15
    level = np.clip((rms - floor) / (loud - floor), 0, 1)
    # Smooth the flutter between frames, but keep silent frames shut.
    smoothed = np.convolve(np.pad(level, 1, mode="edge"), [0.25, 0.5, 0.25], mode="valid")
    return np.where(rms > floor, np.maximum(smoothed, 0.05), 0.0).astype(np.float32)


def _ease(values: np.ndarray) -> np.ndarray:
    """Move part of the way to each frame's target, so shapes blend into each other."""
    eased = np.empty(len(values), dtype=np.float32)
    current = float(values[0]) if len(values) else 0.0
    for i, target in enumerate(values):
        current += (float(target) - current) * EASE
        # A mouth shuts fully in silence rather than creeping towards shut.
        eased[i] = current if target > 0 or current > 0.02 else 0.0
    return eased
