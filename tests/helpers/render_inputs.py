"""What a provider client is asked to render, for the client tests."""

from typing import Any

from avatars.providers import base


def inputs(**changes: Any) -> base.RenderInputs:
    """A script render of a portrait nobody serves (127.0.0.1:9), with `changes` made."""
    values: dict[str, Any] = {
        "image_url": "http://127.0.0.1:9/portrait.jpg",
        "resolution": "720p",
        "callback_url": "",
        "idempotency_key": "avatar-studio-test",
        "text": "Hello there.",
        "voice": "Kore (Female)",
        "voice_language": "English (US)",
    }
    return base.RenderInputs(**(values | changes))
