"""Putting checked uploads into the library: files first, then the row, nothing left over."""

from collections.abc import Iterator
from contextlib import contextmanager

from django.core.files.base import ContentFile, File
from django.db.models.fields.files import FieldFile

from avatars.media import PreparedAudio, PreparedPortrait
from avatars.models import AudioClip, Avatar


def stored_files(instance: Avatar | AudioClip) -> list[FieldFile]:
    if isinstance(instance, Avatar):
        return [instance.original, instance.image, instance.thumbnail]
    return [instance.file]


def delete_stored_files(instance: Avatar | AudioClip) -> None:
    for file in stored_files(instance):
        if file.name:
            file.storage.delete(file.name)


@contextmanager
def files_removed_on_error(instance: Avatar | AudioClip) -> Iterator[None]:
    """Delete the instance's stored files again if the block that stores or saves it fails."""
    try:
        yield
    except BaseException:
        delete_stored_files(instance)
        raise


def attach_portrait(avatar: Avatar, portrait: PreparedPortrait) -> None:
    """Store the three copies of a portrait on an unsaved avatar and record what they are."""
    avatar.original_format = portrait.original_format
    avatar.width, avatar.height = portrait.width, portrait.height
    avatar.sha256 = portrait.sha256
    with files_removed_on_error(avatar):
        avatar.original.save(
            f"original.{portrait.original_ext}", ContentFile(portrait.original), save=False
        )
        avatar.image.save("portrait.jpg", ContentFile(portrait.image), save=False)
        avatar.thumbnail.save("thumbnail.jpg", ContentFile(portrait.thumbnail), save=False)


def attach_audio(clip: AudioClip, audio: PreparedAudio, upload: File) -> None:
    """Store a checked recording on an unsaved clip and record its measurements."""
    clip.format = audio.format
    clip.duration_seconds = audio.duration_seconds
    clip.sample_rate, clip.channels = audio.sample_rate, audio.channels
    clip.size_bytes, clip.sha256 = audio.size_bytes, audio.sha256
    upload.seek(0)
    clip.file.save(f"recording.{audio.format}", upload, save=False)
