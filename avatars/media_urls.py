"""Expiring links to private media: presigned by S3, or signed by Django for local files."""

import time
from dataclasses import dataclass
from typing import Protocol, cast

from django.conf import settings
from django.core import signing
from django.core.files.storage import FileSystemStorage, Storage
from django.db.models.fields.files import FieldFile
from django.urls import reverse
from django.utils.http import content_disposition_header

SALT = "avatars.media_urls"


class LinkExpired(Exception):
    pass


def media_url(
    file: FieldFile,
    max_age: int | None = None,
    absolute: bool = False,
    download: str = "",
    share: int | None = None,
) -> str:
    """A link to a stored file that stops working after max_age seconds.

    With `download`, following the link saves the file under that name instead of showing it:
    browsers ignore the `download` attribute on links to another origin, such as S3's.
    With `share`, the id of a share link, it also stops the moment that share link does: it is
    always this app's own link then (never S3's, which nothing can revoke), checked when used.
    """
    name = file.name if file else None
    if not name:
        return ""
    max_age = max_age or settings.MEDIA_URL_MAX_AGE
    if share is None and not isinstance(file.storage, FileSystemStorage):
        return presigned_url(file.storage, name, max_age, download)
    grant: dict[str, str | int] = {"n": name, "e": int(time.time()) + max_age}
    if download:
        grant["d"] = download
    if share is not None:
        grant["s"] = share
    token = signing.dumps(grant, salt=SALT)
    path = reverse("signed-media", args=[token])
    return f"{settings.PUBLIC_BASE_URL}{path}" if absolute else path


class _PresigningStorage(Protocol):
    """django-storages' S3Storage.url, which takes what a presigned link needs."""

    def url(
        self, name: str, parameters: dict[str, str] | None = None, expire: int | None = None
    ) -> str: ...


def presigned_url(storage: Storage, name: str, expire: int, download: str = "") -> str:
    """S3's own expiring link to `name`; with `download`, one that saves under that name."""
    parameters = {"ResponseContentDisposition": attachment(download)} if download else None
    # Media is on the filesystem or on S3 (project/settings.py), so any storage that is not a
    # FileSystemStorage is an S3Storage, whose url() takes these arguments.
    return cast(_PresigningStorage, storage).url(name, parameters=parameters, expire=expire)


@dataclass(frozen=True)
class Grant:
    name: str
    remaining: int
    download: str = ""
    share: int | None = None


def resolve(token: str) -> Grant:
    """The file a token grants; raises BadSignature, LinkExpired, KeyError, TypeError or
    ValueError."""
    payload = signing.loads(token, salt=SALT)
    remaining = int(payload["e"]) - int(time.time())
    if remaining <= 0:
        raise LinkExpired(payload["n"])
    share = payload.get("s")
    return Grant(
        str(payload["n"]),
        remaining,
        str(payload.get("d", "")),
        None if share is None else int(share),
    )


def attachment(filename: str) -> str:
    return content_disposition_header(True, filename) or "attachment"
