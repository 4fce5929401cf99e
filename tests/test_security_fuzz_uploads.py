"""Uploads fuzzed: valid JPEG, PNG, WebP, WAV, MP3 and FLAC files mutated with a fixed seed
(bit flips, truncations, duplicated chunks, headers that lie, huge declared sizes) and posted
through the real forms: portraits through the studio's upload page, recordings through the
admin's audio clip page, as alice (Marketing, Acme).

Whatever arrives, the answer is the stored library row (302) or the form again with a
readable message on the file field (200): never an exception, never a 500, and nothing left
in storage for a refused file. The seed is fixed, so a failure names a case that repeats.
"""

import html
import random
import struct
from collections.abc import Callable
from functools import cache

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import timezone

from tests.conftest import stored_files
from tests.files import encoded_bytes, portrait_bytes, tone, wav_bytes

SEED = 20260608
CASES_PER_FORMAT = 60

Mutation = Callable[[bytes, random.Random], bytes]


@cache
def original(fmt: str) -> bytes:
    if fmt in ("jpg", "png", "webp"):
        name = {"jpg": "JPEG", "png": "PNG", "webp": "WEBP"}[fmt]
        return portrait_bytes(seed=7, size=(300, 320), fmt=name)
    samples = tone(0.8, amplitude=0.3)
    if fmt == "wav":
        return wav_bytes(samples)
    return encoded_bytes(samples, fmt, {"mp3": "libmp3lame", "flac": "flac"}[fmt])


# --- mutations --------------------------------------------------------------------------------


def flip_bits(data: bytes, rng: random.Random) -> bytes:
    out = bytearray(data)
    # Mostly in the headers, where a decoder makes its decisions.
    end = min(len(out), 512) if rng.random() < 0.7 else len(out)
    for _ in range(rng.randint(1, 16)):
        out[rng.randrange(end)] ^= 1 << rng.randrange(8)
    return bytes(out)


def truncate(data: bytes, rng: random.Random) -> bytes:
    return data[: rng.choice([1, 2, 4, 8, 12, 16, 33, 64, 200, len(data) // 2, len(data) - 1])]


def duplicate_chunk(data: bytes, rng: random.Random) -> bytes:
    start = rng.randrange(len(data))
    chunk = data[start : start + rng.randint(1, 4096)]
    at = rng.randrange(len(data))
    return data[:at] + chunk * rng.randint(1, 8) + data[at:]


def overwrite_head(data: bytes, rng: random.Random) -> bytes:
    at = rng.randrange(min(len(data), 64))
    return data[:at] + bytes(rng.randrange(256) for _ in range(8)) + data[at + 8 :]


def put(data: bytes, offset: int, value: bytes) -> bytes:
    if offset < 0 or offset + len(value) > len(data):
        return data
    return data[:offset] + value + data[offset + len(value) :]


def png_lie(data: bytes, rng: random.Random) -> bytes:
    # IHDR: width and height at 16, bit depth at 24, colour type at 25.
    choice = rng.randrange(4)
    if choice == 0:
        return put(data, 16, struct.pack(">II", 0x7FFFFFFF, 0x7FFFFFFF))
    if choice == 1:
        return put(data, 16, struct.pack(">II", 0, 0))
    if choice == 2:
        return put(data, 24, bytes([rng.choice([0, 3, 7, 255])]))
    return put(data, 25, bytes([rng.choice([1, 5, 7, 255])]))


def jpeg_lie(data: bytes, rng: random.Random) -> bytes:
    sof = data.find(b"\xff\xc0")
    if sof < 0:
        return data
    choice = rng.randrange(4)
    if choice == 0:
        return put(data, sof + 5, struct.pack(">HH", 0xFFFF, 0xFFFF))
    if choice == 1:
        return put(data, sof + 5, struct.pack(">HH", 0, 0))
    if choice == 2:
        return put(data, sof + 9, bytes([rng.choice([0, 2, 255])]))
    return put(data, sof + 2, struct.pack(">H", 0xFFFF))


def webp_lie(data: bytes, rng: random.Random) -> bytes:
    choice = rng.randrange(3)
    if choice == 0:
        return put(data, 4, struct.pack("<I", 0xFFFFFFFF))
    vp8 = data.find(b"VP8")
    if vp8 < 0:
        return data
    if choice == 1:
        return put(data, vp8 + 4, struct.pack("<I", 0xFFFFFFF0))
    # The frame's 14-bit width and height, all ones.
    return put(data, vp8 + 14, b"\xff\x3f\xff\x3f")


def wav_lie(data: bytes, rng: random.Random) -> bytes:
    data_chunk = data.find(b"data")
    choice = rng.randrange(6)
    if choice == 0:
        return put(data, 4, struct.pack("<I", 0xFFFFFFFF))
    if choice == 1:
        return put(data, data_chunk + 4, struct.pack("<I", 0xFFFFFFFF))
    if choice == 2:
        return put(data, 22, struct.pack("<H", rng.choice([0, 255, 0xFFFF])))
    if choice == 3:
        return put(data, 24, struct.pack("<I", rng.choice([0, 1, 0xFFFFFFFF])))
    if choice == 4:
        return put(data, 34, struct.pack("<H", rng.choice([0, 7, 64, 0xFFFF])))
    return put(data, 32, struct.pack("<H", 0))


def flac_lie(data: bytes, rng: random.Random) -> bytes:
    # STREAMINFO: block sizes at 8, frame sizes at 12, then 20 bits of sample rate,
    # 3 of channels, 5 of bits per sample and 36 of total samples from 18.
    choice = rng.randrange(4)
    if choice == 0:
        return put(data, 18, b"\x00\x00\x00")
    if choice == 1:
        return put(data, 21, b"\xff\xff\xff\xff\xff")
    if choice == 2:
        return put(data, 8, b"\x00\x00\xff\xff")
    return put(data, 4, bytes([rng.choice([0x00, 0x7F, 0x80])]) + b"\xff\xff\xff")


def mp3_lie(data: bytes, rng: random.Random) -> bytes:
    if data.startswith(b"ID3") and rng.random() < 0.5:
        # A tag that says it is 256 MB long.
        return put(data, 6, b"\x7f\x7f\x7f\x7f")
    frame = next((i for i in range(len(data) - 1) if data[i] == 0xFF and data[i + 1] >= 0xE0), -1)
    if frame < 0:
        return data
    third = data[frame + 2]
    bad = rng.choice([third | 0xF0, (third & 0xF3) | 0x0C, 0xFF])
    return put(data, frame + 2, bytes([bad]))


LIES: dict[str, Mutation] = {
    "jpg": jpeg_lie,
    "png": png_lie,
    "webp": webp_lie,
    "wav": wav_lie,
    "mp3": mp3_lie,
    "flac": flac_lie,
}
GENERIC: list[Mutation] = [flip_bits, truncate, duplicate_chunk, overwrite_head]


def cases(fmt: str) -> list[tuple[str, int]]:
    names = [m.__name__ for m in GENERIC] + ["lie"]
    return [(f"{fmt}-{names[i % len(names)]}-{i}", i) for i in range(CASES_PER_FORMAT)]


def mutated(fmt: str, index: int) -> bytes:
    rng = random.Random(f"{SEED}-{fmt}-{index}")
    mutations = [*GENERIC, LIES[fmt]]
    data = original(fmt)
    # Usually one mutation, sometimes two on top of each other.
    for _ in range(1 if rng.random() < 0.75 else 2):
        data = mutations[index % len(mutations)](data, rng) if data else data
        index = rng.randrange(len(mutations))
    return data


# --- posting ----------------------------------------------------------------------------------


@pytest.fixture(autouse=True)
def fast_passwords(settings) -> None:
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def post_portrait(client: Client, team_id: int, name: str, data: bytes):
    return client.post(
        "/studio/avatars/new/",
        {
            "team": team_id,
            "name": name,
            "consent_person": "Fuzz",
            "consent_scope": "internal",
            "consent_expires": (timezone.localdate() + timezone.timedelta(days=90)).isoformat(),
            "portrait": SimpleUploadedFile(name, data, "image/jpeg"),
        },
    )


def post_recording(client: Client, team_id: int, name: str, data: bytes):
    return client.post(
        "/admin/avatars/audioclip/add/",
        {
            "team": team_id,
            "title": name,
            "recording": SimpleUploadedFile(name, data, "application/octet-stream"),
        },
    )


def field_errors(response, field: str) -> list[str]:
    context = response.context
    form = context["adminform"].form if "adminform" in context else context["form"]
    return list(form.errors.get(field, []))


def assert_readable_refusal(response, field: str) -> None:
    messages = field_errors(response, field)
    assert messages, f"a refusal explained on the {field} field"
    page = response.content.decode()
    for message in messages:
        assert 10 <= len(message) <= 600, message
        assert message[0].isupper(), message
        for machine_words in ("Traceback", "object at 0x", "Errno", "b'", "\\x"):
            assert machine_words not in message, message
        assert html.escape(message) in page


def check(response, field: str, media_root, before: list) -> None:
    assert response.status_code in (200, 302), response.status_code
    if response.status_code == 200:
        assert_readable_refusal(response, field)
        assert stored_files(media_root) == before, "a refused upload left files behind"


@pytest.mark.parametrize("fmt", ["jpg", "png", "webp"])
def test_mutated_portraits_are_stored_or_refused_clearly(fmt, alice, acme, login, media_root):
    client = login(alice)
    refused = 0
    for name, index in cases(fmt):
        before = stored_files(media_root)
        response = post_portrait(client, acme.pk, f"{name}.{fmt}", mutated(fmt, index))
        check(response, "portrait", media_root, before)
        refused += response.status_code == 200
    # The mutations bite: most cases are refusals, not copies of the original.
    assert refused >= CASES_PER_FORMAT // 2


@pytest.mark.parametrize("fmt", ["wav", "mp3", "flac"])
def test_mutated_recordings_are_stored_or_refused_clearly(fmt, alice, acme, login, media_root):
    client = login(alice)
    refused = 0
    for name, index in cases(fmt):
        before = stored_files(media_root)
        response = post_recording(client, acme.pk, f"{name}.{fmt}", mutated(fmt, index))
        check(response, "recording", media_root, before)
        refused += response.status_code == 200
    assert refused >= CASES_PER_FORMAT // 3


@pytest.mark.parametrize("fmt", ["jpg", "png", "webp", "wav", "mp3", "flac"])
def test_every_format_named_as_every_other_is_refused_clearly(fmt, alice, acme, login, media_root):
    client = login(alice)
    data = original(fmt)
    for ext in ("jpg", "png", "webp"):
        if ext != fmt:
            check(post_portrait(client, acme.pk, f"x.{ext}", data), "portrait", media_root, [])
    for ext in ("wav", "mp3", "flac"):
        if ext != fmt:
            check(post_recording(client, acme.pk, f"x.{ext}", data), "recording", media_root, [])
    assert stored_files(media_root) == []


@pytest.mark.parametrize(
    "data",
    [
        b"\x00",
        b"\xff\xd8\xff",
        b"\x89PNG\r\n\x1a\n",
        b"RIFF\xff\xff\xff\xffWEBPVP8 ",
        b"RIFF\xff\xff\xff\xffWAVEfmt ",
        b"fLaC\x00\x00\x00\x22",
        b"ID3\x04\x00\x00\x7f\x7f\x7f\x7f",
        "naïve ünïcode ☃".encode(),
        b"<script>alert(1)</script>",
    ],
)
def test_tiny_and_header_only_files_are_refused_clearly(data, alice, acme, login, media_root):
    client = login(alice)
    for ext in ("jpg", "png", "webp"):
        response = post_portrait(client, acme.pk, f"x.{ext}", data)
        assert response.status_code == 200
        assert_readable_refusal(response, "portrait")
    for ext in ("wav", "mp3", "flac"):
        response = post_recording(client, acme.pk, f"x.{ext}", data)
        assert response.status_code == 200
        assert_readable_refusal(response, "recording")
    assert stored_files(media_root) == []
