"""Which provider a team's render goes to, and where it goes when that provider cannot take it."""

from __future__ import annotations

from django.conf import settings

from avatars.catalog import PROVIDER_LABELS
from avatars.models import RenderJob, Team
from avatars.providers import base, get_provider


def provider_order(team: Team) -> list[str]:
    """The team's preferred provider, then its fallbacks: known names, each once."""
    names = [team.preferred_provider, *team.fallback_providers]
    return [name for name in dict.fromkeys(names) if name in PROVIDER_LABELS]


# Free drafts render here whatever provider the real render is asked of: the one place that
# names it.
DRAFT_PROVIDER = "sandbox"


def chosen_provider(team: Team, asked: str = "", *, draft: bool = False) -> str:
    """The draft provider for a draft; else the provider asked for, else the team's first
    configured one, else the site's default."""
    if draft:
        return DRAFT_PROVIDER
    if asked:
        return asked
    for name in provider_order(team):
        if get_provider(name).configured:
            return name
    return settings.DEFAULT_PROVIDER


def next_provider(job: RenderJob, error: base.ProviderError) -> str | None:
    """The provider a job moves to after this submit error, or None if it must not move.

    Only when its provider surely started nothing: the error says the provider cannot take
    the render (unavailable, rate limited, switched off), and no earlier attempt of the job
    went unanswered, since that one may be rendering and a second provider would render again.
    An idempotency key does not help there: it only stops the same provider starting twice.
    A draft never moves: it was free, held nothing, and would be paid for anywhere else.
    """
    if not error.falls_back or job.provider == DRAFT_PROVIDER:
        return None
    if job.events.filter(data__code=base.NoAnswer.code).exists():
        return None
    order = provider_order(job.team)
    later = order[order.index(job.provider) + 1 :] if job.provider in order else order
    return next((n for n in later if n != job.provider and get_provider(n).configured), None)
