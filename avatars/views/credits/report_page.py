"""What every credit page shares: who may open it, its chrome, and "CSV or a page of rows".

A listing (the ledger, open holds, reconciliation, the audit log) is described by a
`Listing`; `listing_view` turns it into the view: its filters read from the query string,
`?format=csv` streams every matching row as a download, anything else renders a keyset page.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import wraps
from typing import Any

from django.contrib import admin
from django.contrib.auth.views import redirect_to_login
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_safe

from avatars import access
from avatars.csv_export import csv_download
from avatars.models import Team
from avatars.pagination import linked_page
from avatars.reports import Month

from .filters import TeamFilter, read_filters

PER_PAGE = 50
View = Callable[..., HttpResponseBase]


def auditors_only(view: View) -> View:
    """Read-only, for Auditors and superusers: others get 403, visitors the login page."""

    @require_safe
    @wraps(view)
    def guarded(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path(), reverse("admin:login"))
        if not access.may_read_credit_reports(request.user):
            return render_page(request, "credits/forbidden.html", "Credit reports", {}, status=403)
        return view(request, *args, **kwargs)

    return guarded


def render_page(
    request: HttpRequest, template: str, title: str, context: dict[str, Any], status: int = 200
) -> HttpResponse:
    """A credit page in the admin's chrome (its header, sidebar and log-out form)."""
    context = {**admin.site.each_context(request), "title": title, **context}
    return render(request, template, context, status=status)


def csv_filename(prefix: str, month: Month | None, team: Team | None, undated: str = "all") -> str:
    """`prefix-2025-11-acme.csv`; `undated` stands for the month when there is none."""
    parts = [prefix, month.label if month else undated, team.slug if team else ""]
    return "-".join(part for part in parts if part) + ".csv"


def _as_they_are(rows: QuerySet) -> QuerySet:
    return rows


def _all() -> str:
    return "all"


@dataclass(frozen=True)
class Listing:
    """A report listed a page at a time: `name` names its template (credits/<name>.html) and
    its CSV file; `rows` takes the chosen filters as keywords and returns every match."""

    name: str
    title: str
    filters: type[TeamFilter]
    rows: Callable[..., QuerySet]
    csv_rows: Callable[[QuerySet], Iterator[list[str]]]


def listing_view(
    listing: Listing,
    *,
    reads: Callable[[QuerySet], QuerySet] = _as_they_are,
    each: Callable[[Any], None] | None = None,
    context: Callable[[dict[str, Any]], dict[str, Any]] | None = None,
    undated: Callable[[], str] = _all,
) -> View:
    """The listing's view. The page `reads` more than the CSV (select_related, annotations),
    sets what its template shows of `each` row and adds the `context` of the chosen filters;
    the CSV file is named by the month chosen, else by `undated()`."""

    @auditors_only
    def view(request: HttpRequest) -> HttpResponseBase:
        form, chosen = read_filters(request, listing.filters)
        rows = listing.rows(**chosen)
        if request.GET.get("format") == "csv":
            month, team = chosen.get("month"), chosen.get("team")
            filename = csv_filename(listing.name, month, team, undated())
            return csv_download(filename, listing.csv_rows(rows))
        page = linked_page(reads(rows), request.GET, PER_PAGE)
        if each is not None:
            for row in page.rows:
                each(row)
        extra = context(chosen) if context else {}
        page_context = {"form": form, "page": page, "per_page": PER_PAGE, **extra}
        return render_page(request, f"credits/{listing.name}.html", listing.title, page_context)

    return view
