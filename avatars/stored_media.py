"""A stored file as something to serve: its size, when it changed, and a reader of its bytes
from any position, on the filesystem or on S3 (one ranged GET, never the whole object)."""

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, cast

from django.core.files.storage import FileSystemStorage, Storage

from avatars.byte_ranges import Reader

CHUNK_BYTES = 64 * 1024


@dataclass(frozen=True)
class Stored:
    size: int
    modified: float
    read: Reader


def stored(storage: Storage, name: str) -> Stored:
    """Raises FileNotFoundError when `name` is not there."""
    if isinstance(storage, FileSystemStorage):
        return Stored(
            storage.size(name), storage.get_modified_time(name).timestamp(), _local(storage, name)
        )
    # Media is on the filesystem or on S3 (project/settings.py): this is an S3Storage, whose
    # open() loads the object's metadata (one HEAD) and raises for a missing one.
    try:
        s3_file = storage.open(name, "rb")
    except Exception as missing:
        if _is_not_found(missing):
            raise FileNotFoundError(name) from missing
        raise
    s3_object = cast(Any, s3_file).obj
    return Stored(
        int(s3_object.content_length), s3_object.last_modified.timestamp(), _s3(s3_object)
    )


def _is_not_found(error: Exception) -> bool:
    response = getattr(error, "response", None) or {}
    return response.get("ResponseMetadata", {}).get("HTTPStatusCode") == 404


def _local(storage: FileSystemStorage, name: str) -> Reader:
    def read(first: int, last: int) -> Iterator[bytes]:
        with storage.open(name, "rb") as file:
            file.seek(first)
            left = last - first + 1
            while left > 0 and (chunk := file.read(min(left, CHUNK_BYTES))):
                left -= len(chunk)
                yield chunk

    return read


def _s3(s3_object: Any) -> Reader:
    def read(first: int, last: int) -> Iterator[bytes]:
        body = s3_object.get(Range=f"bytes={first}-{last}")["Body"]
        try:
            yield from body.iter_chunks(CHUNK_BYTES)
        finally:
            body.close()

    return read
