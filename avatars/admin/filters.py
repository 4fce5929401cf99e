"""Changelist filters for tables that grow without bound: their choices come from the code
or the small teams table, never from a DISTINCT over the rows they filter."""

from typing import Any

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest

from avatars import access
from avatars.catalog import PROVIDER_LABELS
from avatars.models import Team
from avatars.reports import Month


class ProviderFilter(admin.SimpleListFilter):
    title = "provider"
    parameter_name = "provider"

    def lookups(self, request: HttpRequest, model_admin: admin.ModelAdmin) -> list[tuple[str, str]]:
        return list(PROVIDER_LABELS.items())

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        return queryset.filter(provider=self.value()) if self.value() else queryset


class TeamFilter(admin.RelatedFieldListFilter):
    """The teams the user sees, read from the teams table."""

    def field_choices(self, field: Any, request: HttpRequest, model_admin: Any) -> list:
        teams = access.scope_to_user(Team.objects.all(), request.user, team_path="pk")
        return [(team.pk, str(team)) for team in teams.order_by("name")]


class MonthFilter(admin.SimpleListFilter):
    """The last twelve months by `created_at`, counted back from the calendar, not the rows."""

    title = "month"
    parameter_name = "month"
    MONTHS = 12

    def lookups(self, request: HttpRequest, model_admin: admin.ModelAdmin) -> list[tuple[str, str]]:
        now = Month.current()
        months = (now.shifted(-back) for back in range(self.MONTHS))
        return [(month.label, month.name) for month in months]

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        value = self.value()
        if not value:
            return queryset
        try:
            month = Month.parse(value)
        except ValueError:
            return queryset.none()
        return queryset.filter(created_at__gte=month.start, created_at__lt=month.end)
