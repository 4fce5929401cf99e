"""The ledger and the audit log in the admin: readable by Auditors, never editable.

Superusers may add a refund or an adjustment, with a reason; nobody changes or deletes a
row once written. Both tables grow without bound (a million ledger rows is a year of a busy
studio), so their lists count no further than pagination.COUNT_CAP, take their filters'
choices from the code and the teams table, and walk an index on (filter, created_at, id).
"""

from decimal import Decimal
from typing import Any

from django import forms
from django.contrib import admin
from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import HttpRequest

from avatars import access, credits, reports
from avatars.models import AuditEntry, CreditEntry, Team
from avatars.pagination import CheapCountPaginator

from .filters import MonthFilter, ProviderFilter, TeamFilter


class AdjustmentForm(forms.ModelForm):
    kind = forms.ChoiceField(
        choices=[
            (CreditEntry.Kind.REFUND, "Refund (money back to the team)"),
            (CreditEntry.Kind.ADJUSTMENT, "Adjustment (either way)"),
        ]
    )
    reason = forms.CharField(max_length=500, widget=forms.Textarea(attrs={"rows": 2}))

    class Meta:
        model = CreditEntry
        fields = ["team", "job", "kind", "amount", "reason"]
        help_texts = {
            "amount": "US dollars. A refund is entered as a positive amount and booked as money "
            "back; an adjustment's sign is kept (positive charges the team, negative credits it).",
        }

    def clean(self) -> dict[str, Any]:
        super().clean()
        cleaned = self.cleaned_data
        amount, job, team = cleaned.get("amount"), cleaned.get("job"), cleaned.get("team")
        if amount is not None and amount == 0:
            self.add_error("amount", "An entry of $0 changes nothing.")
        if cleaned.get("kind") == CreditEntry.Kind.REFUND and amount is not None:
            cleaned["amount"] = -abs(amount)
        if job is not None and team is not None and job.team_id != team.pk:
            self.add_error("job", "This render belongs to another team.")
        return cleaned


def _signed_in(request: HttpRequest) -> User:
    """Who is writing: the admin lets no anonymous visitor reach a form that saves."""
    if not isinstance(request.user, User):
        raise PermissionDenied
    return request.user


class ReadOnlyLedgerAdmin(admin.ModelAdmin):
    list_per_page = 100
    show_full_result_count = False
    paginator = CheapCountPaginator

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        return access.scope_to_user(super().get_queryset(request), request.user)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def get_actions(self, request: HttpRequest) -> dict:
        return {}


@admin.register(CreditEntry)
class CreditEntryAdmin(ReadOnlyLedgerAdmin):
    form = AdjustmentForm
    list_display = [
        "created_at",
        "team",
        "kind",
        "signed_amount",
        "provider",
        "job",
        "user",
        "reason",
    ]
    # No date_hierarchy: its links come from a DISTINCT over the dates of every row shown.
    list_filter = ["kind", ProviderFilter, ("team", TeamFilter), MonthFilter]
    list_select_related = ["team", "job__avatar", "user"]
    search_fields = ["=job__id", "user__username", "reason"]
    raw_id_fields = ["job"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return request.user.is_superuser

    @admin.display(description="Amount (USD)", ordering="amount")
    def signed_amount(self, entry: CreditEntry) -> str:
        return reports.signed(entry.amount)

    def save_model(self, request: HttpRequest, obj: CreditEntry, form: Any, change: bool) -> None:
        obj.user = _signed_in(request)
        obj.provider = obj.job.provider if obj.job else ""
        super().save_model(request, obj, form, change)
        action = (
            AuditEntry.Action.REFUND
            if obj.kind == CreditEntry.Kind.REFUND
            else AuditEntry.Action.ADJUSTMENT
        )
        credits.record(
            action, obj.team, obj.user, job=obj.job, amount=obj.amount, detail=obj.reason
        )


@admin.register(AuditEntry)
class AuditEntryAdmin(ReadOnlyLedgerAdmin):
    list_display = ["created_at", "actor", "action", "team", "job", "amount", "detail"]
    list_filter = ["action", ("team", TeamFilter), MonthFilter]
    list_select_related = ["actor", "team", "job__avatar"]
    search_fields = ["actor__username", "detail", "=job__id"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False


def record_budget_change(request: HttpRequest, before: Team, after: Team) -> None:
    """Keep the change of a team's budget or approval threshold in the audit log."""
    changes = []
    if before.monthly_budget != after.monthly_budget:
        changes.append(
            f"monthly budget {credits.dollars(before.monthly_budget)} → "
            f"{credits.dollars(after.monthly_budget)}"
        )
    if before.approval_threshold != after.approval_threshold:
        old, new = (
            credits.dollars(t) if t is not None else "none"
            for t in (before.approval_threshold, after.approval_threshold)
        )
        changes.append(f"approval threshold {old} → {new}")
    if changes:
        credits.record(
            AuditEntry.Action.BUDGET_CHANGED,
            after,
            _signed_in(request),
            amount=after.monthly_budget - (before.monthly_budget or Decimal(0)),
            detail="; ".join(changes),
        )
