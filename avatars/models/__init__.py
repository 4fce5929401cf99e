from .assets import (
    AudioClip,
    Avatar,
    ConsentScope,
    ConsentStatus,
    Script,
    ScriptRevision,
    Tag,
    Voice,
)
from .teams import Team

__all__ = [
    "AudioClip",
    "Avatar",
    "ConsentScope",
    "ConsentStatus",
    "Script",
    "ScriptRevision",
    "Tag",
    "Team",
    "Voice",
]
