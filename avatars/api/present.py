"""Rows as the API shows them: plain dicts in the shapes of `schemas`."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.http import JsonResponse
from ninja import Schema

from avatars import scripts
from avatars.media_urls import media_url
from avatars.models import Avatar, JobStatus, RenderJob, Script, Voice
from avatars.render import avatar_unavailable


def as_json(schema: type[Schema], data: dict[str, Any]) -> dict[str, Any]:
    """`data` in `schema`'s shape, JSON-ready, as ninja would answer it."""
    return schema.model_validate(data).model_dump(mode="json")


def reply(schema: type[Schema], data: dict[str, Any], status: int = 200) -> JsonResponse:
    """`as_json`, answered, for routes that answer themselves (idempotent POSTs keep and
    replay the body)."""
    return JsonResponse(as_json(schema, data), status=status)


def money(amount: Decimal | None) -> str | None:
    return None if amount is None else f"{amount.quantize(Decimal('0.0001'))}"


def avatar(row: Avatar) -> dict[str, Any]:
    why_not = avatar_unavailable(row)
    return {
        "id": row.pk,
        "name": row.name,
        "team": row.team.slug,
        "width": row.width,
        "height": row.height,
        "image": media_url(row.image, absolute=True),
        "thumbnail": media_url(row.thumbnail, absolute=True),
        "consent": {
            "person": row.consent_person,
            "scope": row.consent_scope,
            "expires": row.consent_expires,
            "status": str(row.consent_status()),
            "renderable": not why_not,
            "why_not": why_not,
        },
        "archived": row.archived,
        "tags": [tag.name for tag in row.tags.all()],
        "created_at": row.created_at,
    }


def voice(row: Voice) -> dict[str, Any]:
    return {
        "id": row.pk,
        "name": row.name,
        "speaker": row.speaker,
        "language": row.language,
        "style_prompt": row.style_prompt,
        "archived": row.archived,
    }


def script(row: Script, revision: int) -> dict[str, Any]:
    return {
        "id": row.pk,
        "title": row.title,
        "language": row.language,
        "text": row.text,
        "revision": revision,
        "variables": scripts.variables(row.text),
        "required_variables": scripts.required_variables(row.text),
        "archived": row.archived,
        "updated_at": row.updated_at,
    }


def render(job: RenderJob, timeline: bool = True) -> dict[str, Any]:
    revision = job.script_revision
    return {
        "id": job.pk,
        "status": job.status,
        "status_label": JobStatus(job.status).label,
        "team": job.team.slug,
        "avatar": job.avatar_id,
        "script": revision.script_id if revision else None,
        "script_revision": revision.number if revision else None,
        "voice": job.voice_id,
        "audio_clip": job.audio_clip_id,
        "variables": job.variables,
        "text": job.text,
        "resolution": job.resolution,
        "provider": job.provider,
        "estimated_cost": money(job.estimated_cost),
        "cost": money(job.cost),
        "error": job.error_message,
        "review": job.review,
        "requested_by": job.requested_by.get_username() if job.requested_by else None,
        "created_at": job.created_at,
        "finished_at": job.finished_at,
        "duration_seconds": job.duration_seconds,
        "video": media_url(job.video, absolute=True) or None,
        "poster": media_url(job.poster, absolute=True) or None,
        "captions": media_url(job.captions, absolute=True) or None,
        "timeline": [
            {
                "at": event.created_at,
                "kind": event.kind,
                "status": event.to_status,
                "actor": event.actor,
                "message": event.message,
            }
            for event in job.events.all()
        ]
        if timeline
        else [],
    }
