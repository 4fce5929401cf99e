"""The shapes of the API: what other tools rely on (fields may be added, never renamed)."""

from __future__ import annotations

import datetime
from typing import Literal

from ninja import Field, Schema


class FieldProblem(Schema):
    """What is wrong with one field (refusals themselves are `problems.SCHEMA`)."""

    field: str
    detail: str


class ConsentOut(Schema):
    person: str
    scope: str
    expires: datetime.date | None
    status: str
    renderable: bool
    why_not: str = Field(description="Why it cannot be rendered now, or empty.")


class AvatarOut(Schema):
    id: int
    name: str
    team: str
    width: int
    height: int
    image: str
    thumbnail: str
    consent: ConsentOut
    archived: bool
    tags: list[str]
    created_at: datetime.datetime


class VoiceOut(Schema):
    id: int
    name: str
    speaker: str
    language: str
    style_prompt: str
    archived: bool


class LanguageOut(Schema):
    code: str
    label: str


class ScriptOut(Schema):
    id: int
    title: str
    language: str
    text: str
    revision: int
    variables: list[str]
    required_variables: list[str]
    archived: bool
    updated_at: datetime.datetime


class ScriptIn(Schema):
    title: str = Field(min_length=1, max_length=200)
    text: str = Field(min_length=1)
    language: str = "en-US"


class ScriptChange(Schema):
    title: str | None = Field(default=None, min_length=1, max_length=200)
    text: str | None = Field(default=None, min_length=1)
    language: str | None = None


Resolution = Literal["720p", "1080p"]


class RenderIn(Schema):
    avatar: int
    script: int | None = None
    voice: int | None = None
    audio_clip: int | None = None
    variables: dict[str, str] = Field(default_factory=dict)
    resolution: Resolution = "720p"
    provider: str = Field(default="", description="Empty: the team's preferred provider.")
    seed: int | None = Field(default=None, ge=0, le=2_147_483_647)
    video_prompt: str = Field(default="", max_length=500)


class EstimateOut(Schema):
    provider: str
    resolution: str
    seconds: float
    cost: str = Field(description="US dollars, as a decimal string.")
    budget_left: str
    within_budget: bool
    needs_approval: bool
    problems: list[FieldProblem]


class EventOut(Schema):
    at: datetime.datetime
    kind: str = Field(description="status, callback, action or note.")
    status: str = Field(description="The status it moved to, for a status change; else empty.")
    actor: str
    message: str


class RenderOut(Schema):
    id: int
    status: str
    status_label: str
    team: str
    avatar: int
    script: int | None
    script_revision: int | None
    voice: int | None
    audio_clip: int | None
    variables: dict[str, str]
    text: str
    resolution: str
    provider: str
    estimated_cost: str | None
    cost: str | None
    error: str
    review: str
    requested_by: str | None
    created_at: datetime.datetime
    finished_at: datetime.datetime | None
    duration_seconds: float | None
    video: str | None = Field(description="A signed link to the video, while it lasts.")
    poster: str | None
    captions: str | None
    timeline: list[EventOut]


class RenderPage(Schema):
    items: list[RenderOut]
    next: str | None


class AvatarPage(Schema):
    items: list[AvatarOut]
    next: str | None


class ScriptPage(Schema):
    items: list[ScriptOut]
    next: str | None


class VoicePage(Schema):
    items: list[VoiceOut]
    next: str | None


class LanguagePage(Schema):
    items: list[LanguageOut]
    next: str | None


class DecisionIn(Schema):
    reason: str = Field(default="", max_length=2000)


class BudgetOut(Schema):
    team: str
    month_start: datetime.datetime
    budget: str
    spent: str
    held: str
    left: str
    percent: int
    level: str


class WebhookIn(Schema):
    url: str = Field(max_length=2000)
    events: list[str] = Field(default_factory=list, description="Empty: every event.")


class WebhookOut(Schema):
    id: int
    url: str
    events: list[str]
    enabled: bool
    disabled_reason: str
    created_at: datetime.datetime


class WebhookWithSecret(WebhookOut):
    secret: str = Field(description="The endpoint's whsec_ secret, shown this once.")


class WebhookPage(Schema):
    items: list[WebhookOut]
    next: str | None


class TryOut(Schema):
    number: int
    status_code: int | None
    milliseconds: int
    response_excerpt: str
    error: str
    at: datetime.datetime


class DeliveryOut(Schema):
    id: int
    event_id: str
    type: str
    state: str
    attempts: int
    next_attempt_at: datetime.datetime | None
    tries: list[TryOut]


class DeliveryPage(Schema):
    items: list[DeliveryOut]
    next: str | None


class HookIn(Schema):
    target_url: str = Field(max_length=2000)
    event: str


class HookOut(Schema):
    id: int
    target_url: str
    event: str


class SampleEvent(Schema):
    type: str
    timestamp: str
    data: dict[str, object]
