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
from .jobs import JobEvent, JobStatus, RenderJob
from .teams import Team

__all__ = [
    "AudioClip",
    "Avatar",
    "ConsentScope",
    "ConsentStatus",
    "JobEvent",
    "JobStatus",
    "RenderJob",
    "Script",
    "ScriptRevision",
    "Tag",
    "Team",
    "Voice",
]
