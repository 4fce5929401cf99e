"""Expiring links to private media: presigned by S3, or signed by Django for local files."""

import time
from dataclasses import dataclass

from django.conf import settings
from django.core import signing
from django.core.files.storage import FileSystemStorage
from django.db.models.fields.files import FieldFile
from django.urls import reverse
from django.utils.http import content_disposition_header

SALT = "avatars.media_urls"


class LinkExpired(Exception):
    pass


def media_url(
    file: FieldFile, max_age: int | None = None, absolute: bool = False, download: str = ""
) -> str:
    """A link to a stored file that stops working after max_age seconds.

    With `download`, following the link saves the file under that name instead of showing it:
    browsers ignore the `download` attribute on links to another origin, such as S3's.
    """
    if not file:
        return ""
    max_age = max_age or settings.MEDIA_URL_MAX_AGE
    if not isinstance(file.storage, FileSystemStorage):
        parameters = {"ResponseContentDisposition": attachment(download)} if download else None
        return file.storage.url(file.name, parameters=parameters, expire=max_age)
    grant = {"n": file.name, "e": int(time.time()) + max_age}
    if download:
        grant["d"] = download
    token = signing.dumps(grant, salt=SALT)
    path = reverse("signed-media", args=[token])
    return f"{settings.PUBLIC_BASE_URL}{path}" if absolute else path


@dataclass(frozen=True)
class Grant:
    name: str
    remaining: int
    download: str = ""


def resolve(token: str) -> Grant:
    """The file a token grants; raises BadSignature, LinkExpired, KeyError or TypeError."""
    payload = signing.loads(token, salt=SALT)
    remaining = int(payload["e"]) - int(time.time())
    if remaining <= 0:
        raise LinkExpired(payload["n"])
    return Grant(str(payload["n"]), remaining, str(payload.get("d", "")))


def attachment(filename: str) -> str:
    return content_disposition_header(True, filename) or "attachment"
