"""The team's library: avatars, voices, languages and scripts."""

from __future__ import annotations

from django import forms
from django.contrib.auth.models import User
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from ninja import Query, Router, Schema

from avatars import access, catalog
from avatars.api import idempotency, present
from avatars.api.context import need, page_size, refuse_unless, team_of, user_of
from avatars.api.problems import from_fields, not_found
from avatars.api.schemas import (
    AvatarOut,
    AvatarPage,
    LanguagePage,
    ScriptChange,
    ScriptIn,
    ScriptOut,
    ScriptPage,
    VoicePage,
)
from avatars.forms import StudioScriptForm
from avatars.models import ApiScope, Script, Voice
from avatars.pagination import newest_first
from avatars.scripts import save_with_revision

router = Router(tags=["library"])
READ = ApiScope.READ
MANAGE = ApiScope.MANAGE


class PageQuery(Schema):
    cursor: str = ""
    limit: int = 50
    archived: bool = False


@router.get("/avatars", response=AvatarPage, summary="List the team's avatars")
def list_avatars(request: HttpRequest, query: Query[PageQuery]) -> dict:
    need(request, READ)
    rows = access.visible_avatars(user_of(request)).filter(archived=query.archived)
    page = newest_first(
        rows.select_related("team").prefetch_related("tags"), query.cursor, page_size(query.limit)
    )
    return {"items": [present.avatar(a) for a in page.rows], "next": page.older}


@router.get("/avatars/{avatar_id}", response=AvatarOut, summary="Get an avatar")
def get_avatar(request: HttpRequest, avatar_id: int) -> dict:
    need(request, READ)
    found = access.visible_avatars(user_of(request)).filter(pk=avatar_id).first()
    if found is None:
        raise not_found("avatar")
    return present.avatar(found)


@router.get("/voices", response=VoicePage, summary="List the team's voices")
def list_voices(request: HttpRequest, query: Query[PageQuery]) -> dict:
    need(request, READ)
    rows = access.scope_to_user(Voice.objects.all(), user_of(request))
    page = newest_first(rows.filter(archived=query.archived), query.cursor, page_size(query.limit))
    return {"items": [present.voice(v) for v in page.rows], "next": page.older}


@router.get("/languages", response=LanguagePage, summary="The languages scripts may be in")
def list_languages(request: HttpRequest) -> dict:
    need(request, READ)
    items = [{"code": lang.code, "label": lang.label} for lang in catalog.LANGUAGES.values()]
    return {"items": items, "next": None}


def _scripts(request: HttpRequest) -> QuerySet[Script]:
    return access.scope_to_user(Script.objects.all(), user_of(request))


def _latest_number(script: Script) -> int:
    latest = script.revisions.order_by("-number").first()
    return latest.number if latest else 0


@router.get("/scripts", response=ScriptPage, summary="List the team's scripts")
def list_scripts(request: HttpRequest, query: Query[PageQuery]) -> dict:
    need(request, READ)
    rows = _scripts(request).filter(archived=query.archived).prefetch_related("revisions")
    page = newest_first(rows, query.cursor, page_size(query.limit))
    items = [
        present.script(s, max((r.number for r in s.revisions.all()), default=0)) for s in page.rows
    ]
    return {"items": items, "next": page.older}


@router.get("/scripts/{script_id}", response=ScriptOut, summary="Get a script")
def get_script(request: HttpRequest, script_id: int) -> dict:
    need(request, READ)
    found = _scripts(request).filter(pk=script_id).first()
    if found is None:
        raise not_found("script")
    return present.script(found, _latest_number(found))


@router.post("/scripts", response={201: ScriptOut}, summary="Write a script (its first revision)")
def create_script(request: HttpRequest, payload: ScriptIn) -> HttpResponse:
    api_key = need(request, MANAGE)
    user, team = user_of(request), team_of(request)
    refuse_unless(access.may_add_script(user, team.pk), "This key may not write scripts.")

    def work() -> HttpResponse:
        form = StudioScriptForm(data={**payload.dict(), "team": team.pk}, user=user)
        script = _saved(form, user)
        return present.reply(ScriptOut, present.script(script, _latest_number(script)), 201)

    return idempotency.once(request, api_key, work)


@router.patch(
    "/scripts/{script_id}", response=ScriptOut, summary="Change a script (a new revision)"
)
def update_script(request: HttpRequest, script_id: int, payload: ScriptChange) -> HttpResponse:
    api_key = need(request, MANAGE)
    user = user_of(request)
    script = _scripts(request).filter(pk=script_id).first()
    if script is None:
        raise not_found("script")
    refuse_unless(access.may_change_script(user, script.team_id), "This key may not edit scripts.")

    def work() -> HttpResponse:
        changes = {k: v for k, v in payload.dict().items() if v is not None}
        data = {
            "title": script.title,
            "language": script.language,
            "text": script.text,
            "based_on": _latest_number(script),
            **changes,
        }
        saved = _saved(StudioScriptForm(data=data, instance=script, user=user), user)
        return present.reply(ScriptOut, present.script(saved, _latest_number(saved)))

    return idempotency.once(request, api_key, work)


def _saved(form: StudioScriptForm, user: User) -> Script:
    if not form.is_valid():
        raise from_fields(_form_errors(form))
    script = form.save(commit=False)
    save_with_revision(script, user)
    return script


def _form_errors(form: forms.BaseForm) -> dict[str, str]:
    return {
        (field if field != "__all__" else "script"): " ".join(str(m) for m in messages)
        for field, messages in form.errors.items()
    }
