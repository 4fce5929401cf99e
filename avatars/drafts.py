"""Draft previews: a request rendered free by the draft provider (routing.DRAFT_PROVIDER),
then sent on to a paid provider as is."""

import dataclasses

from django.contrib.auth.models import User

from avatars import credits, render, routing
from avatars.models import RenderJob
from avatars.providers import configured_providers, get_provider


def available() -> bool:
    """Whether drafts can be rendered here: the draft provider is configured."""
    return get_provider(routing.DRAFT_PROVIDER).configured


def request_draft(request: render.RenderRequest) -> RenderJob:
    """Render the request as a draft, at no cost and without an approval."""
    return render.request_render(dataclasses.replace(request, draft=True, from_draft=None))


def paid_providers() -> list[str]:
    """The configured providers a draft can be sent on to: every one that is not free."""
    return [name for name in configured_providers() if not credits.is_free(name)]


def send_on(draft: RenderJob, user: User | None, provider: str = "") -> RenderJob:
    """Request the paid render of exactly what the draft showed: same revision, same inputs.

    `provider` empty means the team's preferred one. Raises RenderRequestError like any request
    (budget, approval threshold and consent are checked again now).
    """
    if not draft.is_finished_draft:
        raise render.RenderRequestError({"draft": "Only a finished draft can be sent on."})
    if credits.is_free(routing.chosen_provider(draft.team, provider)):
        raise render.RenderRequestError(
            {"provider": "This draft is already the free render: choose a paid provider."}
        )
    request = render.request_like(
        draft, user, revision=draft.script_revision, provider=provider, from_draft=draft
    )
    return render.request_render(request)
