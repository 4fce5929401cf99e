"""What every team-owned admin shares: rows, choices and writes limited to the user's teams."""

from typing import Any, ClassVar

from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.db.models import ForeignKey, ManyToManyField, Model, QuerySet
from django.forms import ModelChoiceField, ModelForm, ModelMultipleChoiceField
from django.http import HttpRequest, HttpResponse
from django.utils.safestring import SafeString

from avatars import access
from avatars.badges import badge
from avatars.library import files_removed_on_error
from avatars.models import AudioClip, Avatar, RenderJob, Tag, Team
from avatars.models.assets import TeamAsset

# The rows a TeamScopedAdmin shows: each belongs to one team.
TeamOwned = TeamAsset | Tag | RenderJob


class TeamScopedAdmin(admin.ModelAdmin):
    """A user sees the rows of their own teams (all of them if superuser or Auditor), may
    only write into their own teams, and every choice of a related row is limited likewise.
    Auditors change nothing."""

    list_select_related: ClassVar[tuple[str, ...]] = ("team",)
    list_per_page = 50

    class Media:
        css = {"all": ["avatars/admin.css"]}

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        return access.scope_to_user(super().get_queryset(request), request.user)

    def get_list_display(self, request: HttpRequest) -> list[Any]:
        columns = super().get_list_display(request)
        if access.works_in_one_team(request.user):
            return [column for column in columns if column != "team"]
        return list(columns)

    def get_list_filter(self, request: HttpRequest) -> list[Any]:
        filters = super().get_list_filter(request)
        if access.works_in_one_team(request.user):
            return [f for f in filters if not (isinstance(f, tuple) and f[0] == "team")]
        return list(filters)

    def formfield_for_foreignkey(
        self, db_field: ForeignKey, request: HttpRequest, **kwargs: Any
    ) -> ModelChoiceField | None:
        kwargs["queryset"] = self._writable_choices(db_field.related_model, request)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def formfield_for_manytomany(
        self, db_field: ManyToManyField, request: HttpRequest, **kwargs: Any
    ) -> ModelMultipleChoiceField | None:
        kwargs["queryset"] = self._writable_choices(db_field.related_model, request)
        return super().formfield_for_manytomany(db_field, request, **kwargs)

    def _writable_choices(self, model: type[Model], request: HttpRequest) -> QuerySet:
        if model is Team:
            return access.member_teams(request.user)
        queryset = model._default_manager.all()
        if any(field.name == "team" for field in model._meta.fields):
            return access.scope_to_member_teams(queryset, request.user)
        return queryset

    def get_changeform_initial_data(self, request: HttpRequest) -> dict[str, Any]:
        initial = super().get_changeform_initial_data(request)
        if team := access.only_team(request.user):
            initial.setdefault("team", str(team.pk))
        return initial

    def has_add_permission(self, request: HttpRequest) -> bool:
        return not access.is_read_only(request.user) and super().has_add_permission(request)

    def has_change_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        read_only = access.is_read_only(request.user)
        return not read_only and super().has_change_permission(request, obj)

    def has_delete_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        read_only = access.is_read_only(request.user)
        return not read_only and super().has_delete_permission(request, obj)

    def save_model(
        self, request: HttpRequest, obj: TeamOwned, form: ModelForm, change: bool
    ) -> None:
        user = request.user
        if not access.works_in(user, obj.team_id):
            raise PermissionDenied("You can only save into your own team.")
        if not change and isinstance(obj, TeamAsset) and user.is_authenticated:
            obj.created_by = user
        self.save_row(request, obj, change)

    def save_row(self, request: HttpRequest, obj: TeamOwned, change: bool) -> None:
        obj.save()


class ViewOnlyMixin(admin.ModelAdmin):
    """Rows that only the app's flows write (a call log, a campaign and its rows): the admin
    shows them and changes none of them."""

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class WideListMixin(admin.ModelAdmin):
    """A list of many columns takes the width of the admin's navigation sidebar too, so that
    it fits a 1280 px screen; the breadcrumbs and the Home page still lead everywhere."""

    def changelist_view(self, request: HttpRequest, extra_context: Any = None) -> HttpResponse:
        wide = {"is_nav_sidebar_enabled": False, **(extra_context or {})}
        return super().changelist_view(request, wide)


class StoredFilesMixin:
    """A new row whose files were stored by its form takes them away again if it is not saved."""

    def save_row(self, request: HttpRequest, obj: TeamOwned, change: bool) -> None:
        if change or not isinstance(obj, Avatar | AudioClip):
            obj.save()
            return
        with files_removed_on_error(obj):
            obj.save()


class ArchiveActionsMixin(admin.ModelAdmin):
    """Archive and unarchive in bulk: archived assets stay for past renders, out of the pickers."""

    @admin.display(description="Archived", ordering="archived")
    def archived_badge(self, obj: TeamAsset) -> SafeString:
        return badge("quiet", "Archived") if obj.archived else SafeString("")

    @admin.action(description="Archive selected", permissions=["change"])
    def archive(self, request: HttpRequest, queryset: QuerySet) -> None:
        count = queryset.filter(archived=False).update(archived=True)
        self.message_user(request, f"Archived {count} of {queryset.count()} selected.")

    @admin.action(description="Unarchive selected", permissions=["change"])
    def unarchive(self, request: HttpRequest, queryset: QuerySet) -> None:
        count = queryset.filter(archived=True).update(archived=False)
        self.message_user(request, f"Restored {count} of {queryset.count()} selected.")
