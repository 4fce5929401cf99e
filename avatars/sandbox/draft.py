"""One sandbox render: fetch the inputs like a remote provider would, then draw the video."""

import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.conf import settings

from avatars import catalog
from avatars.sandbox import inputs, speech, video

LANGUAGE_CODES = {language.label: code for code, language in catalog.LANGUAGES.items()}


class DraftRefused(Exception):
    """The task cannot be rendered as asked; the message says why, in words and without links."""


@dataclass(frozen=True)
class Draft:
    duration: float
    # What the draft could not do as asked, for the people who asked.
    notes: list[str] = field(default_factory=list)
    # When each word of the script was spoken, (word, start_s, end_s); none for an audio clip.
    words: list[tuple[str, float, float]] = field(default_factory=list)


def render_draft(param: dict[str, Any], out: Path) -> Draft:
    """Render the Crun `input` object to an MP4 at `out`; raises DraftRefused."""
    with tempfile.TemporaryDirectory(prefix="sandbox-inputs-", dir=out.parent) as scratch:
        folder = Path(scratch)
        try:
            portrait = inputs.download(
                param["image_url"], "portrait", settings.AVATAR_MAX_UPLOAD_BYTES, folder
            ).read_bytes()
            audio = None
            if param.get("audio_url"):
                audio = inputs.download(
                    param["audio_url"], "audio", settings.AUDIO_MAX_UPLOAD_BYTES, folder
                )
        except inputs.InputRefused as refused:
            raise DraftRefused(str(refused)) from None
        phonemes, words = None, []
        try:
            if audio is not None:
                samples, rate = video.load_audio(audio)
            else:
                spoken = speech.synthesize(param["text"], language_code(param), voice_gender(param))
                samples, rate = spoken.samples, spoken.sample_rate
                phonemes, words = spoken.phonemes, spoken.words
        except ValueError as exc:
            what = "the audio could not be used" if audio else "the script could not be spoken"
            raise DraftRefused(f"{what}: {inputs.without_links(exc)}") from None
        size = catalog.RESOLUTIONS[param.get("resolution") or "720p"]
        try:
            rendered = video.render_talking_head(
                portrait, samples, rate, out, resolution=size, phonemes=phonemes
            )
        except ValueError as exc:
            raise DraftRefused(inputs.without_links(exc)) from None
    return Draft(duration=rendered.duration, notes=rendered.notes, words=words)


def language_code(param: dict[str, Any]) -> str:
    """Our code for the language the providers spell out ("English (US)" → "en-US")."""
    return LANGUAGE_CODES.get(param.get("voice_language") or "", "en-US")


def voice_gender(param: dict[str, Any]) -> str:
    return "male" if "(Male)" in (param.get("voice") or "") else "female"
