from .api import ApiKey, ApiScope, IdempotentRequest
from .assets import (
    AudioClip,
    Avatar,
    ConsentReminder,
    ConsentScope,
    ConsentStatus,
    Script,
    ScriptRevision,
    Tag,
    Voice,
)
from .campaigns import Campaign, CampaignRow, CampaignStatus, RowVerdict
from .credits import AppendOnly, AuditEntry, CreditEntry
from .jobs import JobEvent, JobStatus, RenderJob, ReviewStatus, WebhookDelivery
from .providers import ProviderCall
from .review import JobComment, Notification, ShareLink
from .teams import Team
from .webhooks import WebhookAttempt, WebhookEndpoint, WebhookEvent, WebhookMessage
from .workers import WorkerHeartbeat

__all__ = [
    "ApiKey",
    "ApiScope",
    "AppendOnly",
    "AudioClip",
    "AuditEntry",
    "Avatar",
    "Campaign",
    "CampaignRow",
    "CampaignStatus",
    "ConsentReminder",
    "ConsentScope",
    "ConsentStatus",
    "CreditEntry",
    "IdempotentRequest",
    "JobComment",
    "JobEvent",
    "JobStatus",
    "Notification",
    "ProviderCall",
    "RenderJob",
    "ReviewStatus",
    "RowVerdict",
    "Script",
    "ScriptRevision",
    "ShareLink",
    "Tag",
    "Team",
    "Voice",
    "WebhookAttempt",
    "WebhookDelivery",
    "WebhookEndpoint",
    "WebhookEvent",
    "WebhookMessage",
    "WorkerHeartbeat",
]
