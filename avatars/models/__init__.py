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
from .credits import AppendOnly, AuditEntry, CreditEntry
from .jobs import JobEvent, JobStatus, RenderJob
from .teams import Team

__all__ = [
    "AppendOnly",
    "AudioClip",
    "AuditEntry",
    "Avatar",
    "ConsentScope",
    "ConsentStatus",
    "CreditEntry",
    "JobEvent",
    "JobStatus",
    "RenderJob",
    "Script",
    "ScriptRevision",
    "Tag",
    "Team",
    "Voice",
]
