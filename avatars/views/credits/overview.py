"""The month at /credits/: its totals, its spend broken down with charts, and their CSVs."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.http import HttpRequest
from django.http.response import HttpResponseBase
from django.template.defaultfilters import pluralize
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode

from avatars import report_rows, reports, routing
from avatars.catalog import PROVIDER_LABELS
from avatars.charts import bar_chart
from avatars.credits import ZERO, dollars
from avatars.csv_export import csv_download
from avatars.models import Team
from avatars.reports import Month

from .filters import Filters, read_filters
from .report_page import auditors_only, csv_filename, render_page

TOP = 20  # lines per breakdown on the page; its CSV has them all
TITLES = {
    "team": "Spend by team",
    "user": "Spend by user (who asked for the render)",
    "avatar": "Spend by avatar",
    "provider": "Spend by provider",
}


@auditors_only
def overview(request: HttpRequest) -> HttpResponseBase:
    form, chosen = read_filters(request, Filters, month=Month.current().label)
    month, team = chosen.get("month") or Month.current(), chosen.get("team")
    if request.GET.get("format") == "csv":
        return _csv(request.GET.get("by", ""), month, team)

    sections = [_breakdown(dimension, month, team) for dimension in reports.BREAKDOWNS]
    by_month = reports.spend_by_month(month, team)
    for row in by_month:
        row["url"] = "?" + urlencode({"month": row["key"], **({"team": team.slug} if team else {})})
    sections.append(_section("month", "Spend by month (last 12 months)", by_month, more=False))
    context = {
        "form": form,
        "month": month,
        "team": team,
        "sections": sections,
        "previous": month.shifted(-1),
        "next": month.shifted(1) if month.end <= timezone.now() else None,
        "campaigns_query": urlencode(
            {"month": month.label, **({"team": team.slug} if team else {})}
        ),
        **_figures(month, team),
    }
    title = f"Credits · {month.name}" + (f" · {team}" if team else "")
    return render_page(request, "credits/overview.html", title, context)


def _csv(by: str, month: Month, team: Team | None) -> HttpResponseBase:
    if by in (*reports.BREAKDOWNS, "month"):
        filename = csv_filename(f"spend-by-{by}", month, team)
        return csv_download(filename, report_rows.breakdown_rows(by, month, team))
    filename = csv_filename("credits-summary", month, team)
    return csv_download(filename, report_rows.summary_rows(month, team))


def usd(amount: Decimal) -> str:
    return f"−{dollars(-amount)}" if amount < 0 else dollars(amount)


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


def _figures(month: Month, team: Team | None) -> dict[str, Any]:
    """The month's figures, and the cards that show them."""
    totals, held = reports.totals(month, team), reports.held(team)
    failures = reports.failed_renders(month, team)
    drafts = reports.free_drafts(month, team)
    holds_url = reverse("credits:holds") + (f"?team={team.slug}" if team else "")
    drafts_query = {"provider": routing.DRAFT_PROVIDER}
    if team:
        drafts_query["team__id__exact"] = str(team.pk)
    figures = [
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
        {
            "name": "Free drafts",
            "value": usd(ZERO),
            "note": f"{_n(drafts, 'draft')} requested; nothing held or charged, so not in the "
            "ledger",
            "url": reverse("admin:avatars_renderjob_changelist") + "?" + urlencode(drafts_query),
            "tone": "draft",
        },
    ]
    return {
        "totals": totals,
        "held": held,
        "failures": failures,
        "drafts": drafts,
        "draft_provider": PROVIDER_LABELS[routing.DRAFT_PROVIDER],
        "figures": figures,
    }


def _n(count: int, noun: str) -> str:
    return f"{count} {noun}{pluralize(count)}"
