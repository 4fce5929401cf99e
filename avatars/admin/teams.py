from django.contrib import admin
from django.db.models import Count, QuerySet
from django.http import HttpRequest

from avatars import access
from avatars.models import Team


@admin.register(Team)
class TeamAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "monthly_budget", "member_count"]
    search_fields = ["name", "slug"]
    prepopulated_fields = {"slug": ["name"]}
    filter_horizontal = ["members"]
    fields = ["name", "slug", "monthly_budget", "members"]

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        teams = super().get_queryset(request).annotate(member_total=Count("members"))
        return teams if access.sees_all_teams(request.user) else teams.filter(members=request.user)

    @admin.display(description="Members", ordering="member_total")
    def member_count(self, team: Team) -> int:
        return team.member_total
