"""A task's portrait and audio, fetched like a remote provider would: only from where they may be.

Every download goes through avatars/fetch.py (size-capped, each address checked, redirects
re-checked hop by hop). What a failed download says names no link: signed links carry their
signature in the query or, for local media, in the path.
"""

import re
from pathlib import Path
from typing import Any, cast

import httpx
from django.conf import settings

from avatars import fetch

# Where signed local media links live under PUBLIC_BASE_URL (project/urls.py, "signed-media").
SIGNED_MEDIA_PATH = "/m/"
# scheme://host[:port]/path?query of a link inside a message; kept: only its host and port.
_LINK = re.compile(r"[a-zA-Z][a-zA-Z0-9+.-]*://([^/\s)?#]*)[^\s)]*")


class InputRefused(Exception):
    """An input could not be fetched; the message says why, without its link."""


def may_reach_private(url: httpx.URL) -> bool:
    """Whether the sandbox may download `url` from a private or loopback address.

    Only when FETCH_ALLOW_PRIVATE is on (development) and only where this studio's own media
    lives: its signed media links under PUBLIC_BASE_URL (the `/m/` path, never its other
    pages) and, with MEDIA_STORAGE=s3, the storage endpoint (AWS_S3_ENDPOINT_URL; its bucket
    subdomains too, for virtual-hosted buckets). Any other link must resolve to public
    addresses, as it would for a real provider, whatever FETCH_ALLOW_PRIVATE says. Checked
    again on every redirect.
    """
    if not settings.FETCH_ALLOW_PRIVATE:
        return False
    scheme, host, port = origin(url)
    for own, with_subdomains in _own_media_places():
        own_scheme, own_host, own_port = origin(own)
        if (scheme, port) != (own_scheme, own_port) or not url.path.startswith(own.path):
            continue
        if host == own_host or (with_subdomains and host.endswith(f".{own_host}")):
            return True
    return False


def _own_media_places() -> list[tuple[httpx.URL, bool]]:
    """Where our media is served from (origin and path), each with whether its subdomains
    count too."""
    public = httpx.URL(settings.PUBLIC_BASE_URL)
    places = [(public.copy_with(path=public.path.rstrip("/") + SIGNED_MEDIA_PATH), False)]
    if settings.MEDIA_STORAGE == "s3":
        # django-stubs types each STORAGES entry as a bare object; project/settings.py makes
        # it a dict with OPTIONS (s3_media_storage).
        storage = cast(dict[str, Any], settings.STORAGES["default"])
        endpoint = storage.get("OPTIONS", {}).get("endpoint_url")
        if endpoint:
            places.append((httpx.URL(endpoint), True))
    return places


def origin(url: httpx.URL) -> tuple[str, str, int | None]:
    return url.scheme, url.host.lower(), url.port or fetch.DEFAULT_PORTS.get(url.scheme)


def download(url: str, what: str, max_bytes: int, folder: Path) -> Path:
    """Fetch one input (`what`: "portrait" or "audio") into `folder`; raises InputRefused."""
    try:
        downloaded = fetch.download(
            url,
            folder,
            max_bytes=max_bytes,
            allow_private=may_reach_private,
            # The task's outcome is what the sandbox logs, in words and without the link.
            quiet=True,
        )
    except (fetch.FetchRefused, fetch.FetchFailed) as error:
        raise InputRefused(f"the {what} could not be downloaded: {without_links(error)}") from None
    return downloaded.path


def without_links(error: Exception) -> str:
    """The error's message with every link in it shortened to its server."""
    message = _LINK.sub(lambda link: link.group(1) or "a link", str(error))
    return message[:1].lower() + message[1:]
