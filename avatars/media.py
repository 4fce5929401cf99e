"""Untrusted media in, checked and normalised media out.

Every refusal is a ValidationError whose message tells the person what is wrong with
their file and what to do about it. Nothing here touches storage: callers store the
prepared bytes only once everything has been checked.
"""

import hashlib
import io
import warnings
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import PurePosixPath
from typing import cast

import av
import numpy as np
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from PIL import Image, ImageCms, ImageOps, UnidentifiedImageError

from avatars import sniff

IMAGE_EXTENSIONS = {"jpg": "JPEG", "jpeg": "JPEG", "png": "PNG", "webp": "WEBP"}
AUDIO_EXTENSIONS = {"wav": "wav", "mp3": "mp3", "flac": "flac"}
# A signed release: what sniff.describe must find in a file of each extension.
DOCUMENT_KINDS = {
    "pdf": "a PDF document",
    "jpg": "a JPEG image",
    "jpeg": "a JPEG image",
    "png": "a PNG image",
    "webp": "a WebP image",
}
_FORMAT_NAMES = {"JPEG": "JPEG", "PNG": "PNG", "WEBP": "WebP"}

_HINTS = {
    "heic": "Export the photo as JPEG first (on an iPhone: Settings › Camera › Formats › "
    "Most Compatible).",
    "heif": "Export the photo as JPEG first.",
    "gif": "A portrait must be a still JPEG, PNG or WebP image.",
}
_AUDIO_NAMES = {"wav": "a WAV recording", "mp3": "an MP3 recording", "flac": "a FLAC recording"}

SILENCE_PEAK = 10 ** (-60 / 20)  # -60 dBFS
WHITE = (255, 255, 255)


@dataclass(frozen=True)
class PreparedPortrait:
    original: bytes
    original_ext: str
    original_format: str
    image: bytes
    thumbnail: bytes
    width: int
    height: int
    sha256: str


@dataclass(frozen=True)
class PreparedAudio:
    format: str
    duration_seconds: float
    sample_rate: int
    channels: int
    size_bytes: int
    sha256: str


def _extension(name: str | None) -> str:
    return PurePosixPath(name or "").suffix.lstrip(".").lower()


def _megabytes(size: int) -> str:
    return f"{size / 1000:.0f} kB" if size < 999_500 else f"{size / 1_000_000:.1f} MB"


def _looks_like(head: bytes) -> str:
    what = sniff.describe(head)
    return f" (it looks like {what})" if what else ""


def _refuse(message: str, code: str) -> ValidationError:
    return ValidationError(message, code=code)


def _read_capped(upload: UploadedFile, limit: int, kind: str) -> bytes:
    if upload.size is not None and upload.size > limit:
        raise _refuse(
            f"The file is {_megabytes(upload.size)}; {kind} can be at most {_megabytes(limit)}.",
            "too_large",
        )
    upload.seek(0)
    data = upload.read(limit + 1)
    if len(data) > limit:
        raise _refuse(
            f"The file is larger than {_megabytes(limit)}, the limit for {kind}.", "too_large"
        )
    if not data:
        raise _refuse("The file is empty.", "empty")
    return data


def prepare_portrait(upload: UploadedFile) -> PreparedPortrait:
    """Check an uploaded portrait and make its normalised copy and thumbnail."""
    ext = _extension(upload.name)
    if ext not in IMAGE_EXTENSIONS:
        hint = _HINTS.get(ext, "Upload a JPEG, PNG or WebP portrait.")
        shown = f"“.{ext}” files" if ext else "Files without an extension"
        raise _refuse(f"{shown} are not accepted. {hint}", "bad_extension")
    data = _read_capped(upload, settings.AVATAR_MAX_UPLOAD_BYTES, "portraits")
    image = _open_image(data, ext)
    upright = ImageOps.exif_transpose(image)
    width, height = upright.size
    rgb = _to_srgb(upright)
    return PreparedPortrait(
        original=data,
        original_ext=ext,
        original_format=image.format or IMAGE_EXTENSIONS[ext],
        image=_jpeg(rgb, settings.AVATAR_NORMALISED_LONG_SIDE, quality=90),
        thumbnail=_jpeg(rgb, settings.AVATAR_THUMBNAIL_LONG_SIDE, quality=82),
        width=width,
        height=height,
        sha256=hashlib.sha256(data).hexdigest(),
    )


def _open_image(data: bytes, ext: str) -> Image.Image:
    expected = IMAGE_EXTENSIONS[ext]
    with warnings.catch_warnings():
        # The pixel limit below is ours and checked before decoding; Pillow's own check
        # still refuses the most extreme sizes at open.
        warnings.simplefilter("ignore", Image.DecompressionBombWarning)
        try:
            image = Image.open(io.BytesIO(data), formats=list(_FORMAT_NAMES))
        except UnidentifiedImageError:
            raise _refuse(
                f"This file is not a JPEG, PNG or WebP image{_looks_like(data[:16])}.",
                "not_an_image",
            ) from None
        except Image.DecompressionBombError:
            raise _bomb(None) from None
        except (OSError, SyntaxError, ValueError, EOFError) as exc:
            raise _corrupt(exc) from None
        found = image.format or ""  # set by whichever of the _FORMAT_NAMES openers read it
        if found != expected:
            raise _refuse(
                f"The file is named .{ext} but holds a {_FORMAT_NAMES[found]} image. "
                f"Rename it to .{found.lower().replace('jpeg', 'jpg')} and upload it again.",
                "wrong_extension",
            )
        width, height = image.size
        if width * height > settings.AVATAR_MAX_PIXELS:
            raise _bomb(image.size)
        if getattr(image, "is_animated", False):
            raise _refuse("Animated images are not accepted: upload a still portrait.", "animated")
        minimum = settings.AVATAR_MIN_SIDE
        if min(width, height) < minimum:
            raise _refuse(
                f"The image is {width}×{height} pixels; a portrait needs at least "
                f"{minimum}×{minimum} pixels so the face can be rendered.",
                "too_small",
            )
        try:
            image.load()
        except (OSError, SyntaxError, ValueError, EOFError) as exc:
            raise _corrupt(exc) from None
    return image


def _corrupt(exc: Exception) -> ValidationError:
    return _refuse(
        f"The image is damaged or incomplete and cannot be read ({exc}). "
        "Export it again from the original.",
        "corrupt",
    )


def _bomb(size: tuple[int, int] | None) -> ValidationError:
    limit = settings.AVATAR_MAX_PIXELS / 1_000_000
    what = f"is {size[0]:,}×{size[1]:,} pixels" if size else "has far too many pixels"
    return _refuse(
        f"The image {what}, more than the {limit:g} megapixels allowed. "
        "Resize it before uploading.",
        "too_many_pixels",
    )


def _to_srgb(image: Image.Image) -> Image.Image:
    """Any accepted mode and colour profile to 8-bit sRGB on a white background."""
    if image.mode in ("I;16", "I;16B", "I;16L", "I"):
        # 16-bit greys: scale to 8 bits instead of clipping everything above 255 to white.
        image = image.convert("I").point(lambda value: value * (1 / 256)).convert("L")
    if image.mode == "P":
        image = image.convert("RGBA" if "transparency" in image.info else "RGB")
    if image.mode in ("LA", "La", "RGBa", "PA"):
        image = image.convert("RGBA")
    if image.mode == "RGBA":
        background = Image.new("RGB", image.size, WHITE)
        background.paste(image, mask=image.getchannel("A"))
        image = background
    icc = image.info.get("icc_profile")
    if icc and image.mode in ("RGB", "CMYK"):
        try:
            source = ImageCms.ImageCmsProfile(io.BytesIO(icc))
            # Pillow types the result as optional for inPlace=True, which this does not ask for.
            image = cast(
                Image.Image,
                ImageCms.profileToProfile(
                    image, source, ImageCms.createProfile("sRGB"), outputMode="RGB"
                ),
            )
        except (ImageCms.PyCMSError, OSError):
            image = image.convert("RGB")
    return image.convert("RGB") if image.mode != "RGB" else image


def _jpeg(image: Image.Image, long_side: int, quality: int) -> bytes:
    copy = image.copy()
    copy.thumbnail((long_side, long_side), Image.Resampling.LANCZOS, reducing_gap=3.0)
    out = io.BytesIO()
    copy.save(out, "JPEG", quality=quality, optimize=True)
    return out.getvalue()


def check_consent_document(upload: UploadedFile) -> UploadedFile:
    """Check an uploaded signed release: a PDF or an image, what its name says it is."""
    ext = _extension(upload.name)
    if ext not in DOCUMENT_KINDS:
        shown = f"“.{ext}” files" if ext else "Files without an extension"
        raise _refuse(
            f"{shown} are not accepted. Upload the signed release as a PDF, or a JPEG, PNG or "
            "WebP photo of it.",
            "bad_extension",
        )
    data = _read_capped(upload, settings.CONSENT_DOCUMENT_MAX_BYTES, "signed releases")
    expected, found = DOCUMENT_KINDS[ext], sniff.describe(data[: sniff.HEAD_BYTES])
    if found != expected:
        raise _refuse(
            f"The file is named .{ext} but is not {expected}{_looks_like(data[:16])}. "
            "Upload the signed release itself, as a PDF or a photo of it.",
            "wrong_content",
        )
    upload.seek(0)
    return upload


def prepare_audio(upload: UploadedFile) -> PreparedAudio:
    """Check an uploaded recording by decoding all of it, and measure it."""
    ext = _extension(upload.name)
    if ext not in AUDIO_EXTENSIONS:
        shown = f"“.{ext}” files" if ext else "Files without an extension"
        raise _refuse(
            f"{shown} are not accepted. Upload a WAV, MP3 or FLAC recording.", "bad_extension"
        )
    data = _read_capped(upload, settings.AUDIO_MAX_UPLOAD_BYTES, "recordings")
    try:
        container = av.open(io.BytesIO(data), mode="r")
    except av.error.EOFError:
        raise _incomplete(ext) from None
    except (av.error.FFmpegError, ValueError):
        raise _refuse(
            f"This file is not a WAV, MP3 or FLAC recording{_looks_like(data[:16])}.",
            "not_audio",
        ) from None
    with container:
        found = container.format.name.split(",")
        if AUDIO_EXTENSIONS[ext] not in found:
            holds = _AUDIO_NAMES.get(found[0], container.format.long_name or found[0])
            raise _refuse(
                f"The file is named .{ext} but holds {holds}. "
                "Rename it to match its format and upload it again.",
                "wrong_extension",
            )
        if not container.streams.audio:
            raise _refuse("The file holds no sound track.", "no_audio")
        stream = container.streams.audio[0]
        declared = float(container.duration / av.time_base) if container.duration else None
        samples, peak = _decode(container.decode(stream), ext)
        sample_rate = stream.codec_context.sample_rate or stream.rate or 0
        channels = stream.codec_context.channels or 0
    if not samples or not sample_rate:
        if declared:
            raise _incomplete(ext)
        raise _refuse("The recording contains no sound.", "empty_audio")
    duration = samples / sample_rate
    if ext == "wav":
        declared = _wav_declared_seconds(data, sample_rate, channels) or declared
    _check_duration(duration, declared)
    if peak < SILENCE_PEAK:
        raise _refuse("The recording is silent: nothing in it is louder than -60 dB.", "silent")
    return PreparedAudio(
        format=ext,
        duration_seconds=round(duration, 3),
        sample_rate=sample_rate,
        channels=channels,
        size_bytes=len(data),
        sha256=hashlib.sha256(data).hexdigest(),
    )


def _incomplete(ext: str) -> ValidationError:
    return _refuse(
        f"The {ext.upper()} file is incomplete or damaged: its sound cannot be read. "
        "Export it again from the original.",
        "truncated",
    )


def _decode(frames: Iterable[av.AudioFrame], ext: str) -> tuple[int, float]:
    samples, peak = 0, 0.0
    try:
        for frame in frames:
            samples += frame.samples
            peak = max(peak, _frame_peak(frame))
            if samples > (settings.AUDIO_MAX_SECONDS + 60) * max(frame.sample_rate, 1):
                break
    except (av.error.FFmpegError, ValueError) as exc:
        # FFmpeg's own wording only: its errno and C function name mean nothing to people.
        reason = getattr(exc, "strerror", None) or str(exc)
        raise _refuse(
            f"The {ext.upper()} file is damaged and cannot be decoded ({reason}). "
            "Export it again from the original.",
            "corrupt",
        ) from None
    return samples, peak


def _wav_declared_seconds(data: bytes, sample_rate: int, channels: int) -> float | None:
    """What a WAV header says its sound lasts; FFmpeg trusts the file size instead."""
    offset, bits = 12, None
    while offset + 8 <= len(data):
        chunk, size = (
            data[offset : offset + 4],
            int.from_bytes(data[offset + 4 : offset + 8], "little"),
        )
        if chunk == b"fmt " and offset + 24 <= len(data):
            bits = int.from_bytes(data[offset + 22 : offset + 24], "little")
        if chunk == b"data":
            # Streaming recorders write 0 or 0xFFFFFFFF when they do not know the length.
            if not bits or size in (0, 0xFFFFFFFF):
                return None
            return size / (sample_rate * channels * bits / 8)
        offset += 8 + size + (size & 1)
    return None


def _frame_peak(frame: av.AudioFrame) -> float:
    values = frame.to_ndarray()
    if values.size == 0:
        return 0.0
    sample_type = values.dtype.type
    if issubclass(sample_type, np.integer):
        scale = float(np.iinfo(sample_type).max)
        return float(np.abs(values.astype(np.int64)).max()) / scale
    return float(np.abs(values).max())


def _minutes(seconds: float) -> str:
    whole = round(seconds)
    return f"{whole // 60} min {whole % 60} s" if whole >= 60 else f"{seconds:.1f} s"


def _check_duration(duration: float, declared: float | None) -> None:
    longest, shortest = settings.AUDIO_MAX_SECONDS, settings.AUDIO_MIN_SECONDS
    if duration > longest:
        # Decoding stops early for very long files; the header knows their full length.
        length = max(duration, declared or 0.0)
        raise _refuse(
            f"The recording is {_minutes(length)} long; clips can be at most {_minutes(longest)}. "
            "Trim it or split it into several videos.",
            "too_long",
        )
    if duration < shortest:
        raise _refuse(
            f"The recording is only {duration:.2f} s long; a clip needs at least "
            f"{shortest:g} s of speech.",
            "too_short",
        )
    if declared and declared - duration > max(0.5, 0.05 * declared):
        raise _refuse(
            f"The file is incomplete: it says it lasts {_minutes(declared)} but only "
            f"{_minutes(duration)} of it could be read. Export it again from the original.",
            "truncated",
        )
