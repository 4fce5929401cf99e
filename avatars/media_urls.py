"""Expiring links to private media: presigned by S3, or signed by Django for local files."""

import time

from django.conf import settings
from django.core import signing
from django.core.files.storage import FileSystemStorage
from django.db.models.fields.files import FieldFile
from django.urls import reverse

SALT = "avatars.media_urls"


class LinkExpired(Exception):
    pass


def media_url(file: FieldFile, max_age: int | None = None, absolute: bool = False) -> str:
    """A link to a stored file that stops working after max_age seconds."""
    if not file:
        return ""
    max_age = max_age or settings.MEDIA_URL_MAX_AGE
    if not isinstance(file.storage, FileSystemStorage):
        return file.storage.url(file.name, expire=max_age)
    token = signing.dumps({"n": file.name, "e": int(time.time()) + max_age}, salt=SALT)
    path = reverse("signed-media", args=[token])
    return f"{settings.PUBLIC_BASE_URL}{path}" if absolute else path


def resolve(token: str) -> tuple[str, int]:
    """The file a token grants and its seconds left; raises BadSignature or LinkExpired."""
    payload = signing.loads(token, salt=SALT)
    remaining = int(payload["e"]) - int(time.time())
    if remaining <= 0:
        raise LinkExpired(payload["n"])
    return payload["n"], remaining
