"""What a downloaded result holds: check that it is a video, measure it, pick a poster frame.

The file comes from outside, so FFmpeg only sees it once its first bytes look like a video
container, and then only through the MP4 and Matroska/WebM demuxers reading a local file:
playlists and concat lists, which would make FFmpeg open other files or URLs, never load.
"""

import io
import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import av
from PIL import Image

# Containers a browser can play; the names are FFmpeg's demuxers for them.
ACCEPTED_DEMUXERS = "mov,mp4,m4a,3gp,3g2,mj2,matroska,webm"
MAX_PIXELS = 7680 * 4320
HEAD_BYTES = 1024

_HTML = "an HTML web page (usually an error or sign-in page sent instead of the video)"
_JSON = "a JSON document (usually an error message sent instead of the video)"
_TEXT_STARTS = [
    (b"<!doctype html", _HTML),
    (b"<html", _HTML),
    (b"<?xml", "an XML document"),
    (b"<svg", "an SVG drawing"),
    (b"{", _JSON),
    (b"[", _JSON),
    (b"#extm3u", "an HLS playlist (a list of links, not the video itself)"),
]
_MAGIC = [
    (b"\x89PNG\r\n\x1a\n", "a PNG image"),
    (b"\xff\xd8\xff", "a JPEG image"),
    (b"GIF8", "a GIF image"),
    (b"II*\x00", "a TIFF image"),
    (b"MM\x00*", "a TIFF image"),
    (b"%PDF", "a PDF document"),
    (b"PK\x03\x04", "a ZIP archive"),
    (b"\x1f\x8b", "a gzip-compressed file"),
    (b"ID3", "an MP3 sound recording"),
    (b"fLaC", "a FLAC sound recording"),
    (b"OggS", "an Ogg file, a format not accepted for videos"),
]
_RIFF = {
    b"WAVE": "a WAV sound recording",
    b"WEBP": "a WebP image",
    b"AVI ": "an AVI video, a format not accepted (only MP4 and WebM are)",
}
# MP4-family files start with an "ftyp" box naming their brand; these brands are not videos.
_FTYP_BRANDS = {
    b"heic": "a HEIC photo",
    b"heix": "a HEIC photo",
    b"mif1": "a HEIF image",
    b"avif": "an AVIF image",
    b"M4A ": "an M4A sound recording",
}
_MATROSKA_MAGIC = b"\x1a\x45\xdf\xa3"


class NotAVideo(Exception):
    """The file is not a video that can be stored and played; the message says what it is."""


@dataclass(frozen=True)
class VideoInfo:
    duration: float
    width: int
    height: int
    has_audio: bool
    codec: str


def probe_video(path: Path) -> VideoInfo:
    """Measure a video, after making sure it has a picture that decodes."""
    with _open(path) as container:
        stream = container.streams.video[0]
        frame = _first_frame(container, stream)
        if container.duration:
            duration = container.duration / av.time_base
        elif stream.duration:
            duration = float(stream.duration * stream.time_base)
        else:
            duration = 0.0
        return VideoInfo(
            duration=round(duration, 3),
            width=frame.width,
            height=frame.height,
            has_audio=bool(container.streams.audio),
            codec=stream.codec_context.name,
        )


def poster_jpeg(path: Path, at_seconds: float = 0.5, max_side: int = 640) -> bytes:
    """A frame near `at_seconds` as a JPEG at most `max_side` pixels wide and high.

    Videos no longer than `at_seconds` give their first frame.
    """
    with _open(path) as container:
        stream = container.streams.video[0]
        length = container.duration / av.time_base if container.duration else 0.0
        frame = None
        if 0 < at_seconds < length:
            frame = _frame_near(container, stream, at_seconds)
        if frame is None:
            frame = _first_frame(container, stream, rewind=at_seconds > 0)
        image = frame.to_image()
    image.thumbnail((max_side, max_side), Image.Resampling.LANCZOS)
    out = io.BytesIO()
    image.save(out, "JPEG", quality=85, optimize=True)
    return out.getvalue()


@contextmanager
def _open(path: Path) -> Iterator[av.container.InputContainer]:
    with path.open("rb") as handle:
        head = handle.read(HEAD_BYTES)
    if not head:
        raise NotAVideo("The file is empty: it holds no video at all.")
    what = _looks_like(head)
    if what:
        raise NotAVideo(f"The file looks like {what}.")
    try:
        container = av.open(
            os.fspath(path.resolve()),
            options={"format_whitelist": ACCEPTED_DEMUXERS, "protocol_whitelist": "file"},
        )
    except (av.error.FFmpegError, ValueError):
        if _is_container(head):
            raise NotAVideo("The video file is incomplete or damaged and cannot be read.") from None
        raise NotAVideo(
            "The file is not an MP4 or WebM video, nor anything recognisable."
        ) from None
    with container:
        _check_streams(container)
        yield container


def _looks_like(head: bytes) -> str | None:
    """What a file that is not a video most likely is, judged from its first bytes."""
    text = head.lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    for start, what in _TEXT_STARTS:
        if text.startswith(start):
            return what
    if text.startswith(b"<") and b"<html" in text:
        return _HTML
    for magic, what in _MAGIC:
        if head.startswith(magic):
            return what
    if head.startswith(b"RIFF"):
        return _RIFF.get(head[8:12], "a RIFF file, a format not accepted for videos")
    if head[4:8] == b"ftyp":
        return _FTYP_BRANDS.get(head[8:12])
    if head.startswith(_MATROSKA_MAGIC):
        return None
    # Video containers have zero bytes in their first few; text files have none.
    if b"\x00" not in head:
        try:
            head[:-4].decode("utf-8")
        except UnicodeDecodeError:
            return None
        return "a plain text file"
    return None


def _is_container(head: bytes) -> bool:
    return head[4:8] == b"ftyp" or head.startswith(_MATROSKA_MAGIC)


def _check_streams(container: av.container.InputContainer) -> None:
    if not container.streams.video:
        if container.streams.audio:
            raise NotAVideo("The file holds only sound, no picture.")
        raise NotAVideo("The file holds no picture.")
    context = container.streams.video[0].codec_context
    if context.width * context.height > MAX_PIXELS:
        raise NotAVideo(
            f"The video is {context.width}×{context.height} pixels, more than the 8K "
            "(7680×4320) this app accepts."
        )


def _first_frame(
    container: av.container.InputContainer, stream: av.VideoStream, rewind: bool = False
) -> av.VideoFrame:
    try:
        if rewind:
            container.seek(0)
        for frame in container.decode(stream):
            return frame
    except (av.error.FFmpegError, ValueError):
        raise NotAVideo("The video is damaged: its picture cannot be decoded.") from None
    raise NotAVideo("The video holds no picture that can be decoded; it may be incomplete.")


def _frame_near(
    container: av.container.InputContainer, stream: av.VideoStream, seconds: float
) -> av.VideoFrame | None:
    """The first frame at or after `seconds` from the start, or None if seeking fails."""
    start = float(stream.start_time * stream.time_base) if stream.start_time else 0.0
    target = start + seconds
    try:
        # Lands on the key frame before the target; decoding forward reaches the target.
        container.seek(int(target / stream.time_base), stream=stream)
        chosen = None
        for frame in container.decode(stream):
            chosen = frame
            if frame.time is None or frame.time >= target:
                break
    except (av.error.FFmpegError, ValueError):
        return None
    return chosen
