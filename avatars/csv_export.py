"""CSV out, a line at a time: rows in, lines or a streamed download out.

Nothing here knows what the rows are; a year of them never sits in memory.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Iterator, Sequence

from django.http import StreamingHttpResponse

Row = Sequence[str]


class _Echo:
    """A file for csv.writer that hands each line back instead of storing it."""

    def write(self, value: str) -> str:
        return value


def csv_lines(rows: Iterable[Row], line_end: str = "\r\n") -> Iterator[str]:
    """Each row as one CSV line, quoted as csv.writer quotes it."""
    writer = csv.writer(_Echo(), lineterminator=line_end)
    for row in rows:
        yield writer.writerow(row)


def csv_download(filename: str, rows: Iterable[Row]) -> StreamingHttpResponse:
    """A download of `rows` as `filename`, streamed line by line as they are read."""
    response = StreamingHttpResponse(csv_lines(rows), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def plain_text(value: object) -> str:
    """A free-text cell that a spreadsheet will not run as a formula."""
    text = "" if value is None else str(value)
    return f"'{text}" if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text
