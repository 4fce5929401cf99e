"""An uploaded list of people kept between its preview and the campaign's creation.

The file is stored under `campaign-uploads/` and named to the browser by a signed token
that only its uploader can use, for a day; creating the campaign deletes it, and the
periodic sweep deletes any left behind.
"""

from __future__ import annotations

import datetime
import secrets
from pathlib import PurePosixPath

from django.core import signing
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.utils import timezone

SALT = "avatars.campaign-upload"
FOLDER = "campaign-uploads"
MAX_AGE = datetime.timedelta(days=1)


def keep(data: bytes, filename: str, user_id: int) -> str:
    """Store the upload; the token that gives it back to the same user."""
    safe = PurePosixPath(filename).name[-100:] or "people.csv"
    name = default_storage.save(f"{FOLDER}/{secrets.token_hex(16)}/{safe}", ContentFile(data))
    return signing.dumps({"n": name, "u": user_id}, salt=SALT)


def take(token: str, user_id: int) -> tuple[bytes, str] | None:
    """The upload's bytes and file name, or None when the token is not this user's, is
    more than a day old or its file is gone."""
    try:
        grant = signing.loads(token, salt=SALT, max_age=MAX_AGE)
    except signing.BadSignature:
        return None
    name = str(grant.get("n", ""))
    if grant.get("u") != user_id or not name.startswith(f"{FOLDER}/"):
        return None
    try:
        with default_storage.open(name, "rb") as stored:
            data = stored.read()
    except OSError:
        return None
    return data, PurePosixPath(name).name


def discard(token: str) -> None:
    try:
        name = str(signing.loads(token, salt=SALT).get("n", ""))
    except signing.BadSignature:
        return
    if name.startswith(f"{FOLDER}/"):
        default_storage.delete(name)


def sweep(now: datetime.datetime | None = None) -> int:
    """Delete uploads older than a day; how many."""
    cutoff = (now or timezone.now()) - MAX_AGE
    removed = 0
    try:
        folders, _ = default_storage.listdir(FOLDER)
    except (OSError, NotImplementedError):
        return 0
    for folder in folders:
        path = f"{FOLDER}/{folder}"
        for file in default_storage.listdir(path)[1]:
            name = f"{path}/{file}"
            if default_storage.get_modified_time(name) < cutoff:
                default_storage.delete(name)
                removed += 1
    return removed
