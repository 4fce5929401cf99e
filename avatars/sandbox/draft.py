"""One sandbox render: fetch the inputs like a remote provider would, then draw the video."""

from pathlib import Path
from typing import Any

import httpx

from avatars import catalog
from avatars.sandbox.video import Rendered

LANGUAGE_CODES = {language.label: code for code, language in catalog.LANGUAGES.items()}
FETCH_TIMEOUT = httpx.Timeout(10.0, read=30.0)


def render_draft(param: dict[str, Any], out: Path) -> Rendered:
    """Render the Crun `input` object to an MP4 at `out`."""
    from avatars.sandbox import speech, video

    portrait = _get(param["image_url"])
    phonemes = None
    if param.get("audio_url"):
        samples, rate = video.load_audio(_get(param["audio_url"]))
    else:
        spoken = speech.synthesize(param["text"], language_code(param), voice_gender(param))
        samples, rate, phonemes = spoken.samples, spoken.sample_rate, spoken.phonemes
    size = catalog.RESOLUTIONS[param.get("resolution") or "720p"]
    return video.render_talking_head(
        portrait, samples, rate, out, resolution=size, phonemes=phonemes
    )


def language_code(param: dict[str, Any]) -> str:
    """Our code for the language the providers spell out ("English (US)" → "en-US")."""
    return LANGUAGE_CODES.get(param.get("voice_language") or "", "en-US")


def voice_gender(param: dict[str, Any]) -> str:
    return "male" if "(Male)" in (param.get("voice") or "") else "female"


def _get(url: str) -> bytes:
    response = httpx.get(url, timeout=FETCH_TIMEOUT, follow_redirects=True)
    response.raise_for_status()
    return response.content
