"""The speech preview of a script: asked of the sandbox over HTTP, like any outside service.

Nothing here needs the sandbox's speech engine; without the sandbox the studio simply does
not offer a preview.
"""

import httpx
from django.conf import settings
from django.core.cache import cache

from avatars.providers import get_provider

TIMEOUT = httpx.Timeout(30.0, connect=5.0)
# The sandbox's own endpoint beside its Crun ones (avatars/sandbox/urls.py).
PATH = "/preview/speech.wav"


class PreviewUnavailable(Exception):
    """No preview can be made now; the message says why, for the person who asked."""


def available() -> bool:
    """Whether this studio offers speech previews: the offline sandbox is configured."""
    return get_provider("sandbox").configured


def allowed(user_id: int) -> bool:
    """Count one preview for the person; False once they asked SPEECH_PREVIEWS_PER_MINUTE
    times this minute. The count lives in the shared cache, so every web process sees it."""
    key = f"speech-previews:{user_id}"
    # add() opens the minute's window; incr() keeps its expiry.
    if cache.add(key, 1, timeout=60):
        return True
    try:
        return cache.incr(key) <= settings.SPEECH_PREVIEWS_PER_MINUTE
    except ValueError:  # the window closed between add() and incr()
        cache.add(key, 1, timeout=60)
        return True


TOO_MANY = "Too many previews in a minute: wait a moment, then listen again."


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
