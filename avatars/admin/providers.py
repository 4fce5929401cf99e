"""Provider health: configured or not, how the last hour's calls went, and a free test call."""

from typing import Any

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import URLPattern, path, reverse

from avatars import crun_balance
from avatars.catalog import PROVIDER_LABELS
from avatars.models import ProviderCall
from avatars.observability import provider_calls
from avatars.providers import base, get_provider

from .base import ViewOnlyMixin


@admin.register(ProviderCall)
class ProviderHealthAdmin(ViewOnlyMixin):
    """One row per provider instead of a list of calls; nobody edits the call log."""

    def get_urls(self) -> list[URLPattern]:
        view = self.admin_site.admin_view
        return [
            path("check/<str:name>/", view(self.check_view), name="avatars_providercall_check"),
            *super().get_urls(),
        ]

    def changelist_view(self, request: HttpRequest, extra_context: Any = None) -> HttpResponse:
        if not self.has_view_permission(request):
            raise PermissionDenied
        # Kept for the reconciliation page, which shows it without waiting on Crun.
        crun_balance.refresh(unless_fresh=True)
        context = {
            **self.admin_site.each_context(request),
            "title": "Provider health",
            "opts": self.model._meta,
            "rows": provider_calls.health(
                PROVIDER_LABELS, lambda name: get_provider(name).configured
            ),
            "can_check": request.user.is_superuser,
        }
        return TemplateResponse(request, "admin/avatars/provider_health.html", context)

    def check_view(self, request: HttpRequest, name: str) -> HttpResponse:
        if request.method != "POST":
            return HttpResponse(status=405)
        if not request.user.is_superuser:
            raise PermissionDenied
        if name not in PROVIDER_LABELS:
            raise Http404("No such provider.")
        provider, label = get_provider(name), PROVIDER_LABELS[name]
        if not provider.configured:
            self.message_user(
                request, f"{label} is not configured: it has no API key.", messages.WARNING
            )
        else:
            try:
                self.message_user(request, provider.check_connection(), messages.SUCCESS)
            except base.ProviderError as error:
                self.message_user(request, f"{label}: {error.message}", messages.ERROR)
            if name == "crun":
                crun_balance.refresh()
        return HttpResponseRedirect(reverse("admin:avatars_providercall_changelist"))
