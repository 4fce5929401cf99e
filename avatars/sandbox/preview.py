"""A script read aloud offline, as a WAV file: the speech preview of the studio's pages."""

import io
import wave
from typing import Any

import numpy as np
from django.conf import settings

from avatars import catalog
from avatars.sandbox import speech


class PreviewRefused(Exception):
    """The request cannot be spoken; the message says why."""


def speech_wav(payload: Any) -> bytes:
    """The WAV of {"text", "language", "speaker"}; raises PreviewRefused."""
    if not isinstance(payload, dict):
        raise PreviewRefused("the body must be a JSON object")
    text, language, speaker = (payload.get(k) for k in ("text", "language", "speaker"))
    if not isinstance(text, str) or not isinstance(language, str):
        raise PreviewRefused("text and language are required strings")
    if len(text) > settings.SCRIPT_MAX_CHARS:
        raise PreviewRefused(f"text is longer than {settings.SCRIPT_MAX_CHARS} characters")
    voice = catalog.SPEAKERS.get(speaker) if isinstance(speaker, str) else None
    try:
        spoken = speech.synthesize(text, language, voice.gender if voice else "female")
    except ValueError as exc:
        raise PreviewRefused(str(exc)) from None
    out = io.BytesIO()
    with wave.open(out, "wb") as wav:
        wav.setnchannels(1)
        wav.setsampwidth(2)
        wav.setframerate(spoken.sample_rate)
        wav.writeframes((np.clip(spoken.samples, -1, 1) * 32767).astype("<i2").tobytes())
    return out.getvalue()
