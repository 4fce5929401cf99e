"""Answering part of a file (RFC 9110 §14): one byte range, so that a player can seek.

A request for several ranges is answered with the whole file (200), which the RFC allows and
players never need; so is a Range header this module cannot read, and one whose If-Range no
longer matches the file.
"""

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from django.http import HttpRequest, HttpResponse, HttpResponseBase, StreamingHttpResponse
from django.utils.http import http_date

# Reads bytes first..last (inclusive) of the file, in chunks.
Reader = Callable[[int, int], Iterator[bytes]]

_SPEC = re.compile(r"\s*(\d*)\s*-\s*(\d*)\s*")
# Any position with more digits than this lies past every file; int() of a few thousand
# digits would raise instead.
_MAX_DIGITS = 18


class Unsatisfiable(Exception):
    """The range starts past the end of the file: 416."""


@dataclass(frozen=True)
class ByteRange:
    first: int
    last: int

    @property
    def length(self) -> int:
        return self.last - self.first + 1


def parse(header: str, size: int) -> ByteRange | None:
    """The one range `header` asks of a file of `size` bytes; None to send the whole file."""
    unit, equals, specs = header.partition("=")
    if not equals or unit.strip().lower() != "bytes" or "," in specs:
        return None
    match = _SPEC.fullmatch(specs)
    if match is None or match.group(1) == match.group(2) == "":
        return None
    first, last = (_position(digits) for digits in match.groups())
    if first is None:
        # A suffix, "-500": the last 500 bytes.
        if not last or not size:
            raise Unsatisfiable
        return ByteRange(max(0, size - last), size - 1)
    if last is not None and last < first:
        return None
    if first >= size:
        raise Unsatisfiable
    return ByteRange(first, size - 1 if last is None else min(last, size - 1))


def _position(digits: str) -> int | None:
    if not digits:
        return None
    return int(digits) if len(digits) <= _MAX_DIGITS else 10**_MAX_DIGITS


def serve(
    request: HttpRequest,
    read: Reader,
    size: int,
    content_type: str,
    modified: float | None = None,
) -> HttpResponseBase:
    """The file, or the range of it the request asks for; HEAD gets the headers alone."""
    last_modified = http_date(modified) if modified is not None else ""
    try:
        wanted = _wanted(request, size, last_modified)
    except Unsatisfiable:
        refused = HttpResponse(status=416)
        refused["Content-Range"] = f"bytes */{size}"
        refused["Accept-Ranges"] = "bytes"
        return refused
    part = wanted or ByteRange(0, size - 1)
    response: HttpResponseBase
    if request.method == "HEAD" or not part.length:
        response = HttpResponse(content_type=content_type)
    else:
        response = StreamingHttpResponse(read(part.first, part.last), content_type=content_type)
    if wanted is not None:
        response.status_code = 206
        response["Content-Range"] = f"bytes {wanted.first}-{wanted.last}/{size}"
    response["Content-Length"] = str(part.length)
    response["Accept-Ranges"] = "bytes"
    if last_modified:
        response["Last-Modified"] = last_modified
    return response


def _wanted(request: HttpRequest, size: int, last_modified: str) -> ByteRange | None:
    header = request.headers.get("Range", "")
    if not header:
        return None
    # If-Range: "the part, if the file is still the one I have; else all of it". Only a
    # date that is exactly this file's is a match (no ETags are given out).
    if_range = request.headers.get("If-Range")
    if if_range is not None and (not last_modified or if_range.strip() != last_modified):
        return None
    return parse(header, size)
