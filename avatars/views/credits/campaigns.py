"""Spend by campaign: what each campaign's renders were held, charged and refunded."""

from __future__ import annotations

from django.http import HttpRequest
from django.http.response import HttpResponseBase

from avatars import report_rows, reports
from avatars.csv_export import csv_download

from .filters import Filters, read_filters
from .report_page import auditors_only, csv_filename, render_page

TOP = 100  # campaigns on the page; its CSV has them all


@auditors_only
def campaigns(request: HttpRequest) -> HttpResponseBase:
    form, chosen = read_filters(request, Filters)
    rows = reports.spend_by_campaign(**chosen)
    if request.GET.get("format") == "csv":
        filename = csv_filename("spend-by-campaign", chosen.get("month"), chosen.get("team"))
        return csv_download(filename, report_rows.campaign_spend_rows(rows))
    shown = list(rows[: TOP + 1])
    for row in shown:
        for field in ("charged", "refunded", "adjusted", "net", "held"):
            row[field] = reports.money(row[field])
    context = {"form": form, "rows": shown[:TOP], "more": len(shown) > TOP, "top": TOP}
    return render_page(request, "credits/campaigns.html", "Spend by campaign", context)
