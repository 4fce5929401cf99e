"""What the admin's render request form posts."""

from typing import Any

from avatars.models import Team


def request_form(team: Team, library: dict[str, Any], **changes: Any) -> dict[str, Any]:
    """The admin's render request form for `library`'s avatar, script and voice, in the sandbox."""
    form = {
        "team": team.pk,
        "avatar": library["avatar"].pk,
        "script": library["script"].pk,
        "voice": library["voice"].pk,
        "audio_clip": "",
        "variables": "name=Ada",
        "resolution": "720p",
        "seed": "",
        "video_prompt": "",
        "provider": "sandbox",
    }
    form.update(changes)
    return form
