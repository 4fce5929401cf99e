"""The speech preview of a script: asked of the sandbox over HTTP, like any outside service.

Nothing here needs the sandbox's speech engine; without the sandbox the studio simply does
not offer a preview.
"""

import httpx
from django.conf import settings

from avatars.providers import get_provider

TIMEOUT = httpx.Timeout(30.0, connect=5.0)
# The sandbox's own endpoint beside its Crun ones (avatars/sandbox/urls.py).
PATH = "/preview/speech.wav"


class PreviewUnavailable(Exception):
    """No preview can be made now; the message says why, for the person who asked."""


def available() -> bool:
    """Whether this studio offers speech previews: the offline sandbox is configured."""
    return get_provider("sandbox").configured


def speech_wav(text: str, language: str, speaker: str) -> bytes:
    """The WAV of `text` read offline in `language` by a voice like `speaker`'s.

    Raises PreviewUnavailable when the sandbox is off, unreachable or cannot speak the text.
    """
    if not available():
        raise PreviewUnavailable(
            "The speech preview is not offered here: it needs the offline sandbox, which is off."
        )
    try:
        response = httpx.post(
            f"{settings.SANDBOX_BASE_URL}{PATH}",
            json={"text": text, "language": language, "speaker": speaker},
            headers={"x-api-key": settings.SANDBOX_API_KEY},
            timeout=TIMEOUT,
            follow_redirects=False,
            trust_env=False,
        )
    except httpx.HTTPError:
        raise PreviewUnavailable(
            "The speech preview could not be made just now: the sandbox did not answer."
        ) from None
    if response.status_code != 200 or response.content[:4] != b"RIFF":
        said = _message(response)
        raise PreviewUnavailable(f"The sandbox could not read this script aloud{said}.")
    return response.content


def _message(response: httpx.Response) -> str:
    try:
        message = response.json().get("message")
    except (ValueError, AttributeError):
        return ""
    return f": {str(message)[:200]}" if message else ""
