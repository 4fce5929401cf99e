from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any, TypedDict

from django import forms
from django.contrib import admin
from django.db.models import Count, QuerySet
from django.http import HttpRequest
from django.template.loader import render_to_string
from django.utils.safestring import SafeString

from avatars import access, credits
from avatars.catalog import PROVIDER_LABELS
from avatars.models import Team

from .credits import record_budget_change

if TYPE_CHECKING:
    from django_stubs_ext import WithAnnotations

    class _MemberTotal(TypedDict):
        member_total: int


class ProviderListField(forms.Field):
    """An ordered list of provider names, typed as "lumenfall, replicate"."""

    def prepare_value(self, value: Any) -> Any:
        return ", ".join(value) if isinstance(value, list) else value

    def to_python(self, value: Any) -> list[str]:
        text = "" if value in self.empty_values else str(value)
        names = [n for n in re.split(r"[\s,]+", text) if n]
        unknown = [n for n in names if n not in PROVIDER_LABELS]
        if unknown:
            raise forms.ValidationError(
                f"No provider is called {', '.join(unknown)}. "
                f"Choose from {', '.join(PROVIDER_LABELS)}."
            )
        if len(set(names)) != len(names):
            raise forms.ValidationError("Name each provider once.")
        return names


class TeamForm(forms.ModelForm):
    fallback_providers = ProviderListField(
        required=False,
        help_text="Where a render goes, in this order, when its provider is unavailable, "
        f"separated by commas ({', '.join(PROVIDER_LABELS)}). A request or account error never "
        "moves it.",
    )

    class Meta:
        model = Team
        fields = ["preferred_provider", "fallback_providers"]

    def clean(self) -> dict[str, Any]:
        super().clean()
        cleaned = self.cleaned_data
        preferred = cleaned.get("preferred_provider")
        if preferred and preferred in (cleaned.get("fallback_providers") or []):
            self.add_error("fallback_providers", "The preferred provider is tried first anyway.")
        return cleaned


@admin.register(Team)
class TeamAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "monthly_budget", "preferred_provider", "member_count"]
    search_fields = ["name", "slug"]
    prepopulated_fields = {"slug": ["name"]}
    filter_horizontal = ["members"]
    form = TeamForm
    fields = [
        "name",
        "slug",
        "monthly_budget",
        "approval_threshold",
        "this_month",
        "preferred_provider",
        "fallback_providers",
        "members",
    ]
    readonly_fields = ["this_month"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Team]:
        teams = super().get_queryset(request).annotate(member_total=Count("members"))
        return access.scope_to_user(teams, request.user, team_path="pk")

    @admin.display(description="Members", ordering="member_total")
    def member_count(self, team: WithAnnotations[Team, _MemberTotal]) -> int:
        return team.member_total

    @admin.display(description="This month")
    def this_month(self, team: Team) -> SafeString:
        return render_to_string(
            "admin/avatars/budget_bar.html", {"status": credits.budget_status(team)}
        )

    def save_model(self, request: HttpRequest, obj: Team, form: Any, change: bool) -> None:
        before = Team.objects.get(pk=obj.pk) if change else None
        super().save_model(request, obj, form, change)
        if before is not None:
            record_budget_change(request, before, obj)
