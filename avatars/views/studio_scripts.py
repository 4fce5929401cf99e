"""The studio's scripts: the list, a script's page with its revisions, writing and editing,
archiving, copying, and hearing the text read aloud (saved or still being typed)."""

from __future__ import annotations

import io
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count
from django.http import FileResponse, HttpRequest, HttpResponse, JsonResponse
from django.http.response import HttpResponseBase
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from avatars import access, catalog, previews
from avatars import render as rendering
from avatars import scripts as script_text
from avatars.forms import StudioScriptForm
from avatars.models import Script, Voice
from avatars.signed_in import SignedInRequest


def script_for(request: HttpRequest, pk: int) -> Script:
    """A script the user may see; 404 for another team's."""
    scripts = access.scope_to_user(Script.objects.select_related("team"), request.user)
    return get_object_or_404(scripts, pk=pk)


def writable_script(request: HttpRequest, pk: int) -> Script:
    """A script the user may edit: 404 if they may not see it, 403 if they may only read it."""
    script = script_for(request, pk)
    if not access.may_change_script(request.user, script.team_id):
        raise PermissionDenied
    return script


@login_required
@require_GET
def scripts(request: HttpRequest) -> HttpResponse:
    archived = request.GET.get("archived") == "1"
    found = access.scope_to_user(Script.objects.filter(archived=archived), request.user)
    found = found.select_related("team").annotate(revision_total=Count("revisions"))
    context = {
        "section": "scripts",
        "scripts": found[:200],
        "archived": archived,
        "can_add": access.may_add_script(request.user),
        "show_team": not access.works_in_one_team(request.user),
    }
    return render(request, "studio/scripts.html", context)


@login_required
@require_GET
def script_detail(request: HttpRequest, pk: int) -> HttpResponse:
    script = script_for(request, pk)
    revisions = list(
        script.revisions.select_related("author")
        .annotate(render_total=Count("jobs"))
        .order_by("number")
    )
    history = [
        {
            "revision": revision,
            "lines": script_text.changes(previous.text if previous else "", revision.text),
            "language_from": (
                previous.get_language_display()
                if previous and previous.language != revision.language
                else ""
            ),
        }
        for previous, revision in zip([None, *revisions], revisions, strict=False)
    ]
    user = request.user
    context = {
        "section": "scripts",
        "script": script,
        "history": list(reversed(history)),
        "warnings": script_text.warnings(script.text),
        "show_team": not access.works_in_one_team(user),
        "can_change": access.may_change_script(user, script.team_id),
        "can_copy": access.may_add_script(user, script.team_id),
        "can_render": not script.archived
        and access.may(user, access.REQUEST)
        and access.works_in(user, script.team_id),
    }
    return render(request, "studio/script_detail.html", context)


@login_required
def script_new(request: SignedInRequest) -> HttpResponse:
    if not access.may_add_script(request.user):
        raise PermissionDenied
    form = StudioScriptForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        script = form.save(commit=False)
        script.created_by = request.user
        script_text.save_with_revision(script, request.user)
        messages.success(request, f"“{script}” is saved as revision 1.")
        return redirect("studio:script", pk=script.pk)
    return render(request, "studio/script_form.html", editor_context(request, form, None))


@login_required
def script_edit(request: SignedInRequest, pk: int) -> HttpResponse:
    script = writable_script(request, pk)
    form = StudioScriptForm(request.POST or None, instance=script, user=request.user)
    if request.method == "POST" and form.is_valid():
        revision = script_text.save_with_revision(form.save(commit=False), request.user)
        if revision is None:
            messages.success(request, f"“{script}” is saved; its text did not change.")
        else:
            messages.success(request, f"“{script}” is saved as revision {revision.number}.")
        return redirect("studio:script", pk=script.pk)
    return render(request, "studio/script_form.html", editor_context(request, form, script))


def editor_context(
    request: SignedInRequest, form: StudioScriptForm, script: Script | None
) -> dict[str, Any]:
    """The editor's page: the form with the server's reading of its text, and the voices
    "Hear it" may read it with."""
    text = str(form["text"].value() or "")
    language = str(form["language"].value() or "en-US")
    voices = access.scope_to_member_teams(Voice.objects.filter(archived=False), request.user)
    if script is not None:
        voices = voices.filter(team_id=script.team_id)
    return {
        "section": "scripts",
        "form": form,
        "script": script,
        "variables": script_text.variables(text),
        "seconds": script_text.estimated_seconds(text, language),
        "warnings": script_text.warnings(text),
        "voices": voices.select_related("team"),
        "show_team": not access.works_in_one_team(request.user),
    }


@login_required
@require_POST
def script_archive(request: SignedInRequest, pk: int) -> HttpResponse:
    script = writable_script(request, pk)
    script.archived = request.POST.get("archived") != "0"
    script.save(update_fields=["archived", "updated_at"])
    if script.archived:
        messages.success(
            request, f"“{script}” is archived: it is no longer offered for new renders."
        )
    else:
        messages.success(request, f"“{script}” is back in the list and can be rendered again.")
    return redirect("studio:script", pk=script.pk)


@login_required
@require_POST
def script_duplicate(request: SignedInRequest, pk: int) -> HttpResponse:
    script = script_for(request, pk)
    if not access.may_add_script(request.user, script.team_id):
        raise PermissionDenied
    copy = script_text.duplicate(script, request.user)
    messages.success(request, f"“{copy}” is a copy of “{script}”: change what you like.")
    return redirect("studio:script_edit", pk=copy.pk)


@login_required
@require_POST
def script_check(request: HttpRequest) -> JsonResponse:
    """The server's reading of unsaved text, as the editor types: its variables, spoken
    length, what is wrong with it and what looks odd."""
    if not access.may_write_scripts(request.user):
        raise PermissionDenied
    text = request.POST.get("text", "")
    language = request.POST.get("language", "")
    if language not in catalog.LANGUAGES:
        language = "en-US"
    try:
        script_text.validate_text(text)
        problem = ""
    except ValidationError as refused:
        problem = refused.messages[0]
    return JsonResponse(
        {
            "variables": script_text.variables(text),
            "seconds": script_text.estimated_seconds(text, language),
            "problem": problem,
            "warnings": script_text.warnings(text),
        }
    )


@login_required
@require_http_methods(["GET", "POST"])
def speech_preview(request: SignedInRequest, pk: int) -> HttpResponseBase:
    """The script read aloud offline by the sandbox, for when the provider offers no preview.

    GET reads the saved script (its `revision`, if asked); POST reads the unsaved `text` and
    `language` of its editor, which takes the right to edit it.
    """
    script = script_for(request, pk)
    text, language = script.text, script.language
    asked = request.GET.get("revision", "")
    if revision := script.revisions.filter(pk=int(asked)).first() if asked.isdigit() else None:
        text, language = revision.text, revision.language
    if request.method == "POST":
        if not access.may_change_script(request.user, script.team_id):
            raise PermissionDenied
        text, language = unsaved_text(request)
    return spoken(request, text, language)


@login_required
@require_POST
def speech_preview_text(request: SignedInRequest) -> HttpResponseBase:
    """The unsaved text of a new script read aloud, for those who may write scripts."""
    if not access.may_write_scripts(request.user):
        raise PermissionDenied
    return spoken(request, *unsaved_text(request))


def unsaved_text(request: HttpRequest) -> tuple[str, str]:
    language = request.POST.get("language", "")
    return request.POST.get("text", ""), language if language in catalog.LANGUAGES else "en-US"


def spoken(request: SignedInRequest, text: str, language: str) -> HttpResponseBase:
    """The WAV of `text`, its variables read as their names, in the voice asked for."""
    if not previews.allowed(request.user.pk):
        return HttpResponse(previews.TOO_MANY, status=429, content_type="text/plain")
    voice_id = (request.POST if request.method == "POST" else request.GET).get("voice", "")
    voices = access.scope_to_user(Voice.objects.all(), request.user)
    voice = voices.filter(pk=int(voice_id)).first() if voice_id.isdigit() else None
    # Values from the query string (the New render page passes its own), else the names.
    values = {
        name: request.GET.get(name, name.replace("_", " ")) for name in script_text.variables(text)
    }
    try:
        wav = previews.speech_wav(
            rendering.fill_variables(text, values), language, voice.speaker if voice else "Zephyr"
        )
    except previews.PreviewUnavailable as unavailable:
        return HttpResponse(str(unavailable), status=503, content_type="text/plain")
    return FileResponse(io.BytesIO(wav), content_type="audio/wav", filename="preview.wav")
