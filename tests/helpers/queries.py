"""What a page costs in queries, for the tests that hold list pages to a fixed number."""

from __future__ import annotations

from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext


def page_queries(client: Client, path: str) -> list[str]:
    """The SQL of every query that serves `path`, which must answer 200."""
    with CaptureQueriesContext(connection) as captured:
        response = client.get(path)
    assert response.status_code == 200, path
    return [query["sql"] for query in captured.captured_queries]
