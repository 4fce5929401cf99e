from typing import Any

from django.contrib import admin
from django.db.models import Count, QuerySet
from django.http import HttpRequest
from django.template.loader import render_to_string
from django.utils.safestring import SafeString

from avatars import access, credits
from avatars.models import Team

from .credits import record_budget_change


@admin.register(Team)
class TeamAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "monthly_budget", "member_count"]
    search_fields = ["name", "slug"]
    prepopulated_fields = {"slug": ["name"]}
    filter_horizontal = ["members"]
    fields = ["name", "slug", "monthly_budget", "approval_threshold", "this_month", "members"]
    readonly_fields = ["this_month"]

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        teams = super().get_queryset(request).annotate(member_total=Count("members"))
        return teams if access.sees_all_teams(request.user) else teams.filter(members=request.user)

    @admin.display(description="Members", ordering="member_total")
    def member_count(self, team: Team) -> int:
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
