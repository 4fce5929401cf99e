"""The filters of the credit pages, and reading them from a request."""

from __future__ import annotations

from typing import Any

from django import forms
from django.http import HttpRequest

from avatars.catalog import PROVIDER_LABELS
from avatars.models import AuditEntry, CreditEntry, Team
from avatars.reports import Month


class TeamFilter(forms.Form):
    team = forms.ModelChoiceField(
        Team.objects.all(), to_field_name="slug", required=False, empty_label="All teams"
    )


class Filters(TeamFilter):
    month = forms.CharField(
        required=False, widget=forms.TextInput(attrs={"type": "month", "placeholder": "YYYY-MM"})
    )
    field_order = ["month", "team"]

    def clean_month(self) -> Month | None:
        text = self.cleaned_data["month"].strip()
        if not text:
            return None
        try:
            return Month.parse(text)
        except ValueError:
            raise forms.ValidationError(f"“{text}” is not a month like 2026-11.") from None


class LedgerFilters(Filters):
    kind = forms.ChoiceField(choices=[("", "All kinds"), *CreditEntry.Kind.choices], required=False)
    provider = forms.ChoiceField(
        choices=[("", "All providers"), *PROVIDER_LABELS.items()], required=False
    )
    user = forms.CharField(
        required=False,
        max_length=150,
        help_text="Who asked for the render, or entered the refund or adjustment.",
        widget=forms.TextInput(attrs={"placeholder": "username", "size": 12}),
    )


class AuditFilters(Filters):
    action = forms.ChoiceField(
        choices=[("", "All actions"), *AuditEntry.Action.choices], required=False
    )
    actor = forms.CharField(
        required=False,
        max_length=150,
        widget=forms.TextInput(attrs={"placeholder": "username", "size": 12}),
    )


def read_filters(
    request: HttpRequest, form_class: type[TeamFilter], **defaults: str
) -> tuple[TeamFilter, dict[str, Any]]:
    """The form, and the values of its valid fields: a bad filter is shown and left out."""
    data = request.GET.copy()
    for name, value in defaults.items():
        data[name] = data.get(name) or value
    form = form_class(data)
    form.is_valid()
    values = {name: form.cleaned_data.get(name) for name in form.fields}
    return form, {name: value for name, value in values.items() if value not in (None, "")}
