"""Uploads on S3 storage: objects under generated keys, never overwritten, never left behind."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import IntegrityError, transaction
from django.utils import timezone

from avatars import media
from avatars.forms import AvatarForm
from avatars.library import attach_portrait, files_removed_on_error
from avatars.models import AudioClip, Avatar
from tests.files import portrait_bytes, tone, wav_bytes
from tests.s3 import object_keys


def upload_portrait(client, team, name: str, data: bytes, filename: str = "me.jpg"):
    return client.post(
        "/studio/avatars/new/",
        {
            "team": team.pk,
            "name": name,
            "consent_person": name,
            "consent_scope": "internal",
            "consent_expires": (timezone.localdate() + timezone.timedelta(days=90)).isoformat(),
            "tag_names": "",
            "portrait": SimpleUploadedFile(filename, data, "image/jpeg"),
        },
    )


def read(field) -> bytes:
    with field.open("rb") as handle:
        return handle.read()


def test_a_studio_upload_lands_as_three_objects_under_the_avatars_key(
    alice, acme, login, s3_server, s3_storage
):
    data = portrait_bytes(seed=1)

    response = upload_portrait(login(alice), acme, "Linus", data)

    assert response.status_code == 302
    avatar = Avatar.objects.get()
    prefix = f"portraits/{acme.pk}/{avatar.key.hex}/"
    assert object_keys(s3_server, s3_storage) == sorted(
        [f"{prefix}original.jpg", f"{prefix}portrait.jpg", f"{prefix}thumbnail.jpg"]
    )
    assert read(avatar.original) == data
    head = s3_server.client().head_object(Bucket=s3_storage, Key=avatar.image.name)
    assert head["ContentType"] == "image/jpeg"


def test_two_uploads_with_the_same_file_name_never_overwrite_each_other(
    alice, acme, login, s3_server, s3_storage
):
    client = login(alice)
    upload_portrait(client, acme, "First", portrait_bytes(seed=1), "photo.jpg")
    upload_portrait(client, acme, "Second", portrait_bytes(seed=2), "photo.jpg")

    first, second = Avatar.objects.order_by("pk")
    assert len(object_keys(s3_server, s3_storage)) == 6
    assert first.original.name != second.original.name
    assert read(first.original) == portrait_bytes(seed=1)
    assert read(second.original) == portrait_bytes(seed=2)


def test_a_key_that_is_taken_gets_a_new_name_instead_of_overwriting(acme, s3_server, s3_storage):
    avatar = Avatar(team=acme, name="Ada")
    attach_portrait(avatar, media.prepare_portrait(SimpleUploadedFile("p.jpg", portrait_bytes())))
    taken = avatar.image.name

    avatar.image.save("portrait.jpg", SimpleUploadedFile("p.jpg", b"second"), save=False)

    assert avatar.image.name != taken
    assert s3_server.client().get_object(Bucket=s3_storage, Key=taken)["Body"].read() != b"second"
    assert read(avatar.image) == b"second"


def test_an_admin_upload_lands_in_the_bucket(root, acme, login, s3_server, s3_storage):
    response = login(root).post(
        "/admin/avatars/avatar/add/",
        {
            "team": acme.pk,
            "name": "Grace",
            "portrait": SimpleUploadedFile("grace.png", portrait_bytes(seed=3, fmt="PNG")),
            "tag_names": "",
            "consent_person": "",
            "consent_scope": "",
            "consent_expires": "",
            "consent_reference": "",
        },
    )

    assert response.status_code == 302
    avatar = Avatar.objects.get()
    assert avatar.original.name.endswith("/original.png")
    assert avatar.original.name in object_keys(s3_server, s3_storage)


def test_an_audio_clip_lands_as_one_object(alice, acme, login, s3_server, s3_storage):
    data = wav_bytes(tone(1.0, amplitude=0.2))

    response = login(alice).post(
        "/admin/avatars/audioclip/add/",
        {"team": acme.pk, "title": "Intro", "recording": SimpleUploadedFile("intro.wav", data)},
    )

    assert response.status_code == 302
    clip = AudioClip.objects.get()
    assert object_keys(s3_server, s3_storage) == [f"audio/{acme.pk}/{clip.key.hex}.wav"]
    assert read(clip.file) == data


def test_a_refused_upload_stores_nothing(alice, acme, login, s3_server, s3_storage):
    response = upload_portrait(login(alice), acme, "Bad", b"%PDF-1.7\n1 0 obj << >> endobj\n" * 40)

    assert response.status_code == 200
    assert not Avatar.objects.exists()
    assert object_keys(s3_server, s3_storage) == []


def test_an_upload_whose_row_cannot_be_saved_leaves_no_objects(acme, s3_server, s3_storage):
    data = portrait_bytes(seed=4)
    form = AvatarForm(
        {"team": acme.pk, "name": "Late", "tag_names": ""},
        {"portrait": SimpleUploadedFile("late.jpg", data)},
    )
    assert form.is_valid(), form.errors
    # The same portrait arrives from elsewhere between the form's check and its save.
    twin = Avatar(team=acme, name="Twin")
    attach_portrait(twin, media.prepare_portrait(SimpleUploadedFile("twin.jpg", data)))
    twin.save()
    late = form.save(commit=False)

    with pytest.raises(IntegrityError), transaction.atomic(), files_removed_on_error(late):
        late.save()

    assert object_keys(s3_server, s3_storage) == sorted(
        [twin.original.name, twin.image.name, twin.thumbnail.name]
    )


def test_deleting_an_avatar_or_a_clip_deletes_its_objects(
    acme, asset_factory, s3_server, s3_storage, django_capture_on_commit_callbacks
):
    avatar = asset_factory.avatar(acme)
    clip = asset_factory.clip(acme)
    assert len(object_keys(s3_server, s3_storage)) == 4

    with django_capture_on_commit_callbacks(execute=True):
        avatar.delete()
        clip.delete()

    assert object_keys(s3_server, s3_storage) == []
