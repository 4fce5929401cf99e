"""Stored files follow their rows: deleting an avatar or a clip deletes its media."""

from django.db import transaction
from django.db.models.signals import post_delete
from django.dispatch import receiver

from avatars.library import delete_stored_files
from avatars.models import AudioClip, Avatar


@receiver(post_delete, sender=Avatar)
@receiver(post_delete, sender=AudioClip)
def delete_media_with_row(sender: type, instance: Avatar | AudioClip, **kwargs: object) -> None:
    # Only once the delete is committed: a rolled-back delete must still find its files.
    transaction.on_commit(lambda: delete_stored_files(instance))
