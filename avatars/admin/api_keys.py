"""Team API keys in the admin: made here (the key shown once), revoked, never edited."""

from __future__ import annotations

from typing import Any, cast

from django import forms
from django.contrib import admin, messages
from django.contrib.auth.models import User
from django.db.models import QuerySet
from django.http import HttpRequest

from avatars import access
from avatars.api import keys
from avatars.models import ApiKey

from .base import TeamScopedAdmin


class ApiKeyForm(forms.ModelForm):
    scopes = forms.MultipleChoiceField(
        choices=[(scope, scope) for scope in keys.SCOPES],
        widget=forms.CheckboxSelectMultiple,
        initial=["read", "render"],
        help_text="read: list and get. render: also request and cancel renders. manage: also "
        "write scripts and avatars, run campaigns and, for an Editor's key, approve.",
    )

    class Meta:
        model = ApiKey
        fields = ["team", "name", "scopes"]


@admin.register(ApiKey)
class ApiKeyAdmin(TeamScopedAdmin):
    form = ApiKeyForm
    list_display = ["name", "team", "prefix", "scope_list", "created_by", "last_used_at", "state"]
    list_filter = ["team"]
    actions = ["revoke_keys"]
    readonly_fields = ["prefix", "created_by", "created_at", "last_used_at", "revoked_at"]

    @admin.display(description="scopes")
    def scope_list(self, obj: ApiKey) -> str:
        return ", ".join(obj.scopes)

    @admin.display(description="state")
    def state(self, obj: ApiKey) -> str:
        return f"revoked {obj.revoked_at:%d %b %Y}" if obj.revoked_at else "active"

    def has_add_permission(self, request: HttpRequest) -> bool:
        user = request.user
        # The ids read once per request: the admin asks this for every page's sidebar.
        return any(access.may_manage_api_keys(user, pk) for pk in access.member_team_ids(user))

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return obj is None and super().has_change_permission(request)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        # Revoked, not deleted: the audit log keeps naming the key's account.
        return False

    def get_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        if obj is None:
            return ["team", "name", "scopes"]
        return ["team", "name", "scopes", *self.readonly_fields]

    def formfield_for_foreignkey(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        field = super().formfield_for_foreignkey(db_field, request, **kwargs)
        if db_field.name == "team" and field is not None:
            user, teams = request.user, access.member_teams(request.user)
            field.queryset = teams.filter(
                pk__in=[t.pk for t in teams if access.may_manage_api_keys(user, t.pk)]
            )
        return field

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        data = form.cleaned_data
        # The form checked the team and the name's uniqueness: what is left cannot fail.
        made = keys.create(data["team"], data["name"], list(data["scopes"]), _person(request))
        obj.pk = made.api_key.pk
        messages.warning(
            request,
            f"The key for “{made.api_key.name}”, shown this once (store it now): {made.secret}",
        )

    @admin.action(
        description="Revoke the selected keys (they stop working at once)",
        permissions=["change"],
    )
    def revoke_keys(self, request: HttpRequest, queryset: QuerySet[ApiKey]) -> None:
        revoked = 0
        for api_key in queryset.select_related("team"):
            if access.may_manage_api_keys(request.user, api_key.team_id):
                revoked += keys.revoke(api_key, _person(request))
        self.message_user(request, f"Revoked {revoked} key(s).")


def _person(request: HttpRequest) -> User:
    """The admin's pages are for signed-in staff only."""
    return cast(User, request.user)
