"""A script read aloud offline, as a WAV file: the speech preview of the new-render page."""

import io
import wave

import numpy as np

from avatars import catalog
from avatars.sandbox import speech


def speech_wav(text: str, language: str, speaker: str) -> io.BytesIO:
    voice = catalog.SPEAKERS.get(speaker)
    spoken = speech.synthesize(text, language, voice.gender if voice else "female")
    out = io.BytesIO()
    with wave.open(out, "wb") as wav:
        wav.setnchannels(1)
        wav.setsampwidth(2)
        wav.setframerate(spoken.sample_rate)
        wav.writeframes((np.clip(spoken.samples, -1, 1) * 32767).astype("<i2").tobytes())
    out.seek(0)
    return out
