"""Pages whose cost does not grow with the table: cheap counts and keyset cursors.

Every newest-first list (the studio's renders, the credit reports) pages with
`newest_first` and one cursor format, carried in the query string as `?c=`.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import Any

from django.core.paginator import Paginator
from django.db import connections
from django.db.models import Q, QuerySet
from django.http import QueryDict
from django.utils.functional import cached_property

# Counting stops here: past it a list says "10,000" and asks for a filter instead.
COUNT_CAP = 10_000
EPOCH = datetime.datetime(1970, 1, 1, tzinfo=datetime.UTC)
MICROSECOND = datetime.timedelta(microseconds=1)
CURSOR = "c"  # the query parameter that carries a cursor


def cheap_count(queryset: QuerySet, cap: int = COUNT_CAP) -> int:
    """How many rows, at most `cap`, without reading more than `cap` of them.

    On PostgreSQL a whole table's count is the planner's estimate (kept fresh by autovacuum),
    when that is past the cap; anything else is counted exactly up to the cap.
    """
    if not queryset.query.where and not queryset.query.is_sliced:
        estimate = _estimated_rows(queryset)
        if estimate is not None and estimate >= cap:
            return estimate
    return queryset.order_by()[:cap].count()


def _estimated_rows(queryset: QuerySet) -> int | None:
    connection = connections[queryset.db]
    if connection.vendor != "postgresql":
        return None
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT reltuples::bigint FROM pg_class WHERE oid = to_regclass(%s)",
            [queryset.model._meta.db_table],
        )
        row = cursor.fetchone()
    # -1 means "never analysed": count instead.
    return int(row[0]) if row and row[0] >= 0 else None


class CheapCountPaginator(Paginator):
    """The admin's paginator for tables that grow without bound."""

    @cached_property
    def count(self) -> int:
        if isinstance(self.object_list, QuerySet):
            return cheap_count(self.object_list, COUNT_CAP)
        return len(self.object_list)


@dataclass(frozen=True)
class KeysetPage:
    """Rows newest first, and the cursors of the pages either side (None: there is none)."""

    rows: list[Any]
    newer: str | None
    older: str | None


def newest_first(queryset: QuerySet, cursor: str = "", size: int = 50) -> KeysetPage:
    """A page of `queryset` ordered by (-created_at, -pk), after or before a cursor.

    A cursor is "o<key>" (rows older than that row) or "n<key>" (rows newer), so any page
    costs an index range scan of `size` rows, however deep it is.
    """
    direction, key = cursor[:1], _decode(cursor[1:])
    if key is not None and direction == "n":
        return _newer_than(queryset, key, size)
    going_older = key is not None and direction == "o"
    if key is not None and going_older:
        at, pk = key
        before = Q(created_at__lt=at) | Q(created_at=at, pk__lt=pk)
        # The redundant bound lets the database start its index scan at the cursor.
        queryset = queryset.filter(before, created_at__lte=at)
    rows = list(queryset.order_by("-created_at", "-pk")[: size + 1])
    more_older, rows = len(rows) > size, rows[:size]
    newer = _cursor("n", rows[0]) if going_older and rows else None
    return KeysetPage(rows, newer, _cursor("o", rows[-1]) if more_older else None)


def _newer_than(queryset: QuerySet, key: tuple[datetime.datetime, int], size: int) -> KeysetPage:
    at, pk = key
    after = Q(created_at__gt=at) | Q(created_at=at, pk__gt=pk)
    found = queryset.filter(after, created_at__gte=at).order_by("created_at", "pk")
    rows = list(found[: size + 1])
    more_newer, rows = len(rows) > size, rows[:size][::-1]
    return KeysetPage(rows, _cursor("n", rows[0]) if more_newer else None, _older(rows))


def _older(rows: list[Any]) -> str | None:
    # A page reached by going newer always has older rows: the one it came from.
    return _cursor("o", rows[-1]) if rows else None


def _cursor(direction: str, row: Any) -> str:
    return f"{direction}{(row.created_at - EPOCH) // MICROSECOND}.{row.pk}"


def _decode(key: str) -> tuple[datetime.datetime, int] | None:
    micros, _, pk = key.partition(".")
    if not (micros.isdigit() and pk.isdigit()):
        return None
    try:
        at = EPOCH + int(micros) * MICROSECOND
    except OverflowError:
        return None
    return at, int(pk)


@dataclass(frozen=True)
class LinkedPage:
    """A keyset page with its links as query strings that keep the other parameters."""

    rows: list[Any]
    newer: str  # the page before, "" when this is the newest
    older: str  # the page after, "" when this is the oldest
    first: str  # the newest page


def linked_page(queryset: QuerySet, query: QueryDict, size: int = 50) -> LinkedPage:
    """`newest_first` at the cursor in `query`, with links that keep its filters."""
    page = newest_first(queryset, query.get(CURSOR, ""), size)

    def link(cursor: str | None = None) -> str:
        params = query.copy()
        params.pop(CURSOR, None)
        if cursor:
            params[CURSOR] = cursor
        return f"?{params.urlencode()}"

    return LinkedPage(
        rows=page.rows,
        newer=link(page.newer) if page.newer else "",
        older=link(page.older) if page.older else "",
        first=link(),
    )
