"""The audit pages at /credits/: what was spent, on what, by whom, and what was wasted.

Read-only and for Auditors and superusers only. Every figure comes from avatars/reports.py;
every page also downloads as CSV (`?format=csv`), streamed row by row.
"""

from __future__ import annotations

import csv
import datetime
import logging
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from decimal import Decimal
from functools import wraps
from typing import Any

from django import forms
from django.contrib import admin
from django.contrib.auth.views import redirect_to_login
from django.db.models import F, Q, QuerySet
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import render
from django.template.defaultfilters import pluralize
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.views.decorators.http import require_safe

from avatars import access, reports
from avatars.catalog import PROVIDER_LABELS
from avatars.credits import dollars
from avatars.models import AuditEntry, CreditEntry, JobStatus, Team
from avatars.models.jobs import FINAL_STATUSES
from avatars.providers import get_provider
from avatars.providers.base import ProviderError
from avatars.reports import Month

log = logging.getLogger(__name__)

PER_PAGE = 50
TOP = 20  # lines per breakdown on the page; its CSV has them all
BAR_ROW = 40  # px per bar in a chart: a line of text above a bar
LABEL_CHARS = 28  # fits beside the amount on a 390 px phone
EPOCH = datetime.datetime(1970, 1, 1, tzinfo=datetime.UTC)
View = Callable[..., HttpResponse]


def auditors_only(view: View) -> View:
    @require_safe
    @wraps(view)
    def guarded(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path(), reverse("admin:login"))
        if not access.sees_all_teams(request.user):
            return _render(request, "credits/forbidden.html", "Credit reports", {}, status=403)
        return view(request, *args, **kwargs)

    return guarded


# --- filters ----------------------------------------------------------------------------------


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


def _filters(
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


# --- pages ------------------------------------------------------------------------------------


@auditors_only
def overview(request: HttpRequest) -> HttpResponse:
    form, chosen = _filters(request, Filters, month=Month.current().label)
    month, team = chosen.get("month") or Month.current(), chosen.get("team")
    by = request.GET.get("by", "")
    if request.GET.get("format") == "csv":
        if by in (*reports.BREAKDOWNS, "month"):
            rows = reports.breakdown_rows(by, month, team)
            return _csv(_filename(f"spend-by-{by}", month, team), rows)
        return _csv(_filename("credits-summary", month, team), reports.summary_rows(month, team))

    sections = [_breakdown(dimension, month, team) for dimension in reports.BREAKDOWNS]
    by_month = reports.spend_by_month(month, team)
    for row in by_month:
        row["url"] = "?" + urlencode({"month": row["key"], **({"team": team.slug} if team else {})})
    sections.append(_section("month", "Spend by month (last 12 months)", by_month, more=False))
    totals, held = reports.totals(month, team), reports.held(team)
    context = {
        "form": form,
        "month": month,
        "team": team,
        "totals": totals,
        "held": held,
        "failures": reports.failed_renders(month, team),
        "sections": sections,
        "previous": month.shifted(-1),
        "next": month.shifted(1) if month.end <= timezone.now() else None,
    }
    context["figures"] = _figures(context)
    title = f"Credits · {month.name}" + (f" · {team}" if team else "")
    return _render(request, "credits/overview.html", title, context)


@auditors_only
def ledger(request: HttpRequest) -> HttpResponse:
    form, chosen = _filters(request, LedgerFilters)
    entries = reports.ledger(**chosen)
    if request.GET.get("format") == "csv":
        filename = _filename("ledger", chosen.get("month"), chosen.get("team"))
        return _csv(filename, reports.ledger_rows(entries))
    page = _page(request, entries.select_related("team", "user"))
    for entry in page.rows:
        entry.signed = f"{entry.amount:+,.4f}"
    return _render(request, "credits/ledger.html", "Ledger", {"form": form, "page": page})


@auditors_only
def holds(request: HttpRequest) -> HttpResponse:
    form, chosen = _filters(request, TeamFilter)
    team = chosen.get("team")
    open_holds = reports.open_holds(team)
    if request.GET.get("format") == "csv":
        filename = f"open-holds-{timezone.localdate():%Y-%m-%d}{f'-{team.slug}' if team else ''}"
        return _csv(f"{filename}.csv", reports.hold_rows(open_holds))
    page = _page(
        request, open_holds.select_related("team", "user").annotate(status=F("job__status"))
    )
    for hold in page.rows:
        hold.status_label = JobStatus(hold.status).label if hold.status else ""
        # Settling a finished job releases its hold; one still open is a fault to look into.
        hold.stuck = hold.status in FINAL_STATUSES
    context = {"form": form, "page": page, "held": reports.held(team)}
    return _render(request, "credits/holds.html", "Open holds", context)


@auditors_only
def reconciliation(request: HttpRequest) -> HttpResponse:
    form, chosen = _filters(request, Filters)
    jobs = reports.reconciliation(**chosen)
    if request.GET.get("format") == "csv":
        filename = _filename("reconciliation", chosen.get("month"), chosen.get("team"))
        return _csv(filename, reports.reconciliation_rows(jobs))
    page = _page(request, jobs.select_related("team"))
    for job in page.rows:
        job.percent = reports.percent(job.difference, job.estimated_cost)
    context = {
        "form": form,
        "page": page,
        "tolerance": reports.TOLERANCE_PERCENT,
        "balance": crun_balance(),
    }
    return _render(request, "credits/reconciliation.html", "Reconciliation", context)


@auditors_only
def audit(request: HttpRequest) -> HttpResponse:
    form, chosen = _filters(request, AuditFilters)
    entries = reports.audit_log(**chosen)
    if request.GET.get("format") == "csv":
        filename = _filename("audit", chosen.get("month"), chosen.get("team"))
        return _csv(filename, reports.audit_rows(entries))
    page = _page(request, entries.select_related("team", "actor"))
    return _render(request, "credits/audit.html", "Audit log", {"form": form, "page": page})


@dataclass(frozen=True)
class Balance:
    configured: bool
    amount: str = ""
    error: str = ""


def crun_balance() -> Balance:
    """Crun's account balance, asked for now; its error message for people if that fails."""
    provider = get_provider("crun")
    if not provider.configured:
        return Balance(configured=False)
    try:
        return Balance(configured=True, amount=dollars(provider.balance()))
    except ProviderError as exc:
        return Balance(configured=True, error=exc.message)
    except Exception:
        # A side panel: an adapter fault must not take the audit page down with it.
        log.exception("Fetching Crun's balance failed")
        return Balance(configured=True, error="Crun's balance could not be fetched just now.")


# --- helpers ----------------------------------------------------------------------------------


def _render(
    request: HttpRequest, template: str, title: str, context: dict[str, Any], status: int = 200
) -> HttpResponse:
    context = {**admin.site.each_context(request), "title": title, **context}
    return render(request, template, context, status=status)


def usd(amount: Decimal) -> str:
    return f"−{dollars(-amount)}" if amount < 0 else dollars(amount)


def _filename(prefix: str, month: Month | None, team: Team | None) -> str:
    parts = [prefix, month.label if month else "all", team.slug if team else ""]
    return "-".join(part for part in parts if part) + ".csv"


class _Echo:
    """A file for csv.writer that hands each line back instead of storing it."""

    def write(self, value: str) -> str:
        return value


def _csv(filename: str, rows: Iterator[Sequence[str]]) -> StreamingHttpResponse:
    writer = csv.writer(_Echo())
    response = StreamingHttpResponse(
        (writer.writerow(row) for row in rows), content_type="text/csv; charset=utf-8"
    )
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


# Keyset pagination on (created_at, pk): no COUNT(*) and no OFFSET, so the thousandth page
# of a year's ledger costs what the first one does.


@dataclass(frozen=True)
class Page:
    rows: list
    newer: str  # query string of the page before, "" when this is the newest
    older: str  # query string of the page after, "" when this is the oldest
    first: str  # query string of the newest page


def _cursor(row: Any) -> str:
    return f"{(row.created_at - EPOCH) // datetime.timedelta(microseconds=1)}.{row.pk}"


def _position(cursor: str) -> tuple[datetime.datetime, int] | None:
    try:
        micros, pk = (int(part) for part in cursor.split("."))
        return EPOCH + datetime.timedelta(microseconds=micros), pk
    except (ValueError, OverflowError):
        return None


def _page(request: HttpRequest, queryset: QuerySet) -> Page:
    """One page of rows ordered newest first, after `?older=` or before `?newer=` a cursor."""
    older = _position(request.GET.get("older", ""))
    newer = _position(request.GET.get("newer", ""))
    if newer:
        when, pk = newer
        after = Q(created_at__gt=when) | Q(created_at=when, pk__gt=pk)
        rows = list(queryset.filter(after).order_by("created_at", "pk")[: PER_PAGE + 1])
        more_newer, more_older = len(rows) > PER_PAGE, True
        rows = rows[:PER_PAGE][::-1]
    else:
        if older:
            when, pk = older
            queryset = queryset.filter(Q(created_at__lt=when) | Q(created_at=when, pk__lt=pk))
        rows = list(queryset[: PER_PAGE + 1])
        more_newer, more_older = older is not None, len(rows) > PER_PAGE
        rows = rows[:PER_PAGE]

    def link(**cursor: str) -> str:
        params = {k: v for k, v in request.GET.items() if k not in ("older", "newer")}
        return "?" + urlencode({**params, **cursor})

    return Page(
        rows=rows,
        newer=link(newer=_cursor(rows[0])) if rows and more_newer else "",
        older=link(older=_cursor(rows[-1])) if rows and more_older else "",
        first=link(),
    )


# --- breakdowns and their charts --------------------------------------------------------------

TITLES = {
    "team": "Spend by team",
    "user": "Spend by user (who asked for the render)",
    "avatar": "Spend by avatar",
    "provider": "Spend by provider",
}


def _breakdown(dimension: str, month: Month, team: Team | None) -> dict[str, Any]:
    rows = list(reports.spend_by(dimension, month, team)[: TOP + 1])
    link = reports.BREAKDOWNS[dimension]["link"]
    for row in rows:
        row["label"] = row["label"] or reports.NO_LABEL[dimension]
        if link and row["key"]:
            filters = {"month": month.label, "team": team.slug if team else "", link: row["key"]}
            query = urlencode({name: value for name, value in filters.items() if value})
            row["url"] = f"{reverse('credits:ledger')}?{query}"
    return _section(dimension, TITLES[dimension], rows[:TOP], more=len(rows) > TOP)


def _section(key: str, title: str, rows: list[dict], *, more: bool) -> dict[str, Any]:
    for row in rows:
        row["amount"] = reports.money(row["amount"])
        row["text"] = usd(row["amount"])
    return {"key": key, "title": title, "rows": rows, "more": more, "chart": bar_chart(rows)}


def _figures(context: dict[str, Any]) -> list[dict[str, str]]:
    totals, held, failures = context["totals"], context["held"], context["failures"]
    team = context["team"]
    holds_url = reverse("credits:holds") + (f"?team={team.slug}" if team else "")
    return [
        {"name": "Charged", "value": usd(totals.charged), "note": _n(totals.charges, "charge")},
        {"name": "Refunded", "value": usd(totals.refunded), "note": _n(totals.refunds, "refund")},
        {
            "name": "Adjusted",
            "value": usd(totals.adjusted),
            "note": _n(totals.adjustments, "adjustment"),
        },
        {
            "name": "Net spend",
            "value": usd(totals.net),
            "note": "charges + refunds + adjustments",
            "tone": "main",
        },
        {
            "name": "Open holds",
            "value": usd(held.amount),
            "note": f"{_n(held.count, 'render')} not yet settled, from any month",
            "url": holds_url,
        },
        {
            "name": "Lost to failed renders",
            "value": usd(failures.lost),
            "note": f"{_n(failures.count, 'failed render')}, estimated at "
            f"{usd(failures.estimated)}; {failures.reported} with a reported cost",
            "tone": "loss" if failures.lost else "",
        },
        {
            "name": "Spent on re-renders",
            "value": usd(totals.rerenders),
            "note": _n(totals.rerender_count, "re-render"),
        },
    ]


def _n(count: int, noun: str) -> str:
    return f"{count} {noun}{pluralize(count)}"


@dataclass(frozen=True)
class Bar:
    label: str
    text: str
    width: str  # percent of the chart's width, as SVG wants it
    text_y: int
    bar_y: int
    negative: bool


def bar_chart(rows: list[dict]) -> dict[str, Any]:
    """Horizontal bars sized in percent, so the SVG fits any width at its natural text size."""
    biggest = max((abs(row["amount"]) for row in rows), default=Decimal(0))
    bars = []
    for index, row in enumerate(rows):
        share = float(abs(row["amount"]) / biggest * 100) if biggest else 0.0
        label = row["label"]
        if len(label) > LABEL_CHARS:
            label = label[: LABEL_CHARS - 1] + "…"
        bars.append(
            Bar(
                label=label,
                text=row["text"],
                width=f"{max(share, 0.5) if row['amount'] else 0:.1f}",
                text_y=index * BAR_ROW + 15,
                bar_y=index * BAR_ROW + 21,
                negative=row["amount"] < 0,
            )
        )
    return {"bars": bars, "height": len(rows) * BAR_ROW}
