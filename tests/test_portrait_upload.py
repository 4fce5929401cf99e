"""Portraits uploaded through the admin: what is accepted, what is refused and why."""

import io
import os
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from avatars.models import Avatar
from tests.conftest import stored_files
from tests.files import image_bytes, portrait_bytes

ADD_URL = "/admin/avatars/avatar/add/"


def post_portrait(client, team, filename: str, data: bytes, **extra: object):
    form = {
        "team": team.pk,
        "name": filename,
        "portrait": SimpleUploadedFile(filename, data),
        "tag_names": "",
        "consent_person": "",
        "consent_scope": "",
        "consent_expires": "",
        "consent_reference": "",
        **extra,
    }
    return client.post(ADD_URL, form)


def refusal(response) -> str:
    assert response.status_code == 200, "a refused upload re-displays the form"
    errors = response.context["adminform"].form.errors
    return " ".join(errors.get("portrait", []))


def open_stored(field) -> Image.Image:
    with field.open("rb") as handle:
        image = Image.open(io.BytesIO(handle.read()))
        image.load()
    return image


def bomb_png() -> bytes:
    """144 megapixels of one-bit black: 18 kB on disk, 432 MB once decoded to RGB."""
    out = io.BytesIO()
    Image.new("1", (12_000, 12_000)).save(out, "PNG")
    return out.getvalue()


def rotated_jpeg() -> bytes:
    """A landscape 800×600 picture, red at its top, whose EXIF says "rotate 90° clockwise"."""
    image = Image.new("RGB", (800, 600), (0, 0, 255))
    image.paste((255, 0, 0), (0, 0, 800, 100))
    exif = Image.Exif()
    exif[0x0112] = 6
    out = io.BytesIO()
    image.save(out, "JPEG", exif=exif.tobytes())
    return out.getvalue()


REFUSALS = [
    ("bomb.png", bomb_png, "12,000×12,000 pixels, more than the 40 megapixels"),
    ("truncated.jpg", lambda: portrait_bytes()[:3000], "damaged or incomplete"),
    ("invoice.jpg", lambda: b"%PDF-1.7\n1 0 obj << >> endobj\n" * 40, "looks like a PDF document"),
    ("tiny.jpg", lambda: image_bytes((4, 4)), "4×4 pixels; a portrait needs at least 256×256"),
    ("photo.jpg", lambda: image_bytes(fmt="PNG"), "named .jpg but holds a PNG image"),
    ("photo.gif", lambda: image_bytes(fmt="GIF"), "“.gif” files are not accepted"),
    ("photo.heic", lambda: b"\x00\x00\x00\x18ftypheic" + b"\x00" * 100, "Export the photo as JPEG"),
    ("empty.png", lambda: b"", "empty"),
    ("noise.webp", lambda: b"RIFF\x10\x00\x00\x00WEBPVP8 " + b"\x01" * 64, "damaged or incomplete"),
]


@pytest.mark.parametrize(("filename", "make", "message"), REFUSALS, ids=[r[0] for r in REFUSALS])
def test_it_refuses_bad_portraits_with_a_reason_and_stores_nothing(
    alice, acme, login, media_root: Path, filename, make, message
):
    response = post_portrait(login(alice), acme, filename, make())

    assert message in refusal(response)
    assert not Avatar.objects.exists()
    assert stored_files(media_root) == []


def test_it_refuses_an_upload_over_the_size_cap(alice, acme, login, media_root, settings):
    settings.AVATAR_MAX_UPLOAD_BYTES = 1_000_000
    noise = io.BytesIO()
    Image.frombytes("RGB", (900, 900), os.urandom(900 * 900 * 3)).save(noise, "PNG")

    response = post_portrait(login(alice), acme, "big.png", noise.getvalue())

    assert "The file is 2.4 MB; portraits can be at most 1.0 MB" in refusal(response)
    assert stored_files(media_root) == []


def test_it_accepts_a_jpeg_and_stores_original_normalised_and_thumbnail(
    alice, acme, login, media_root
):
    data = portrait_bytes(size=(1200, 1600))
    response = post_portrait(login(alice), acme, "me.jpg", data, tag_names="sales, EMEA, sales")

    assert response.status_code == 302
    avatar = Avatar.objects.get()
    assert (avatar.width, avatar.height, avatar.original_format) == (1200, 1600, "JPEG")
    assert avatar.created_by == alice
    assert len(stored_files(media_root)) == 3
    with avatar.original.open("rb") as original:
        assert original.read() == data
    assert max(open_stored(avatar.thumbnail).size) == 320
    assert sorted(t.name for t in avatar.tags.all()) == ["EMEA", "sales"]


def test_it_caps_the_long_side_of_the_normalised_copy(alice, acme, login, settings):
    settings.AVATAR_NORMALISED_LONG_SIDE = 1000
    post_portrait(login(alice), acme, "big.webp", portrait_bytes(size=(1500, 3000), fmt="WEBP"))

    image = open_stored(Avatar.objects.get().image)
    assert image.format == "JPEG"
    assert image.size == (500, 1000)


def test_it_turns_a_rotated_exif_photo_upright_and_strips_exif(alice, acme, login):
    post_portrait(login(alice), acme, "rotated.jpg", rotated_jpeg())

    avatar = Avatar.objects.get()
    image = open_stored(avatar.image)
    assert (avatar.width, avatar.height) == (600, 800)
    assert image.size == (600, 800)
    # Rotated clockwise, the red top edge ends on the right.
    red, _, blue = image.getpixel((590, 400))
    assert red > 200 and blue < 60
    red, _, blue = image.getpixel((10, 400))
    assert red < 60 and blue > 200
    assert not image.getexif()


def test_it_converts_cmyk_to_rgb(alice, acme, login):
    post_portrait(login(alice), acme, "print.jpg", image_bytes(mode="CMYK", color=(0, 255, 255, 0)))

    image = open_stored(Avatar.objects.get().image)
    assert image.mode == "RGB"
    red, green, blue = image.getpixel((10, 10))
    assert red > 200 and green < 60 and blue < 60


def test_it_scales_16_bit_grey_instead_of_clipping_it(alice, acme, login):
    post_portrait(login(alice), acme, "scan.png", image_bytes(mode="I;16", color=32768, fmt="PNG"))

    image = open_stored(Avatar.objects.get().image)
    assert image.mode == "RGB"
    assert 120 <= image.getpixel((10, 10))[0] <= 136


def test_it_puts_transparent_portraits_on_white(alice, acme, login):
    post_portrait(
        login(alice), acme, "cutout.png", image_bytes(mode="RGBA", color=(0, 0, 0, 0), fmt="PNG")
    )

    image = open_stored(Avatar.objects.get().image)
    assert image.getpixel((10, 10)) == (255, 255, 255)


def test_it_recognises_the_same_portrait_uploaded_twice_to_a_team(
    alice, charlie, acme, globex, login, media_root
):
    data = portrait_bytes(seed=7)
    post_portrait(login(alice), acme, "first.jpg", data, name="First")
    files_before = stored_files(media_root)

    again = post_portrait(login(alice), acme, "second.jpg", data)
    elsewhere = post_portrait(login(charlie), globex, "mine.jpg", data)

    assert "already in Acme's library as “First”" in refusal(again)
    assert stored_files(media_root) != files_before  # Globex keeps its own copy
    assert elsewhere.status_code == 302
    assert Avatar.objects.filter(team=acme).count() == 1


def test_it_removes_stored_files_when_the_row_cannot_be_saved(
    alice, acme, login, media_root, monkeypatch
):
    def fail(*args, **kwargs):
        raise RuntimeError("database went away")

    monkeypatch.setattr(Avatar, "save", fail)
    with pytest.raises(RuntimeError):
        post_portrait(login(alice), acme, "me.jpg", portrait_bytes())

    assert stored_files(media_root) == []
