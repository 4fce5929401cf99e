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
from fractions import Fraction
from pathlib import Path

import av
from PIL import Image

from avatars import sniff

# Containers a browser can play; the names are FFmpeg's demuxers for them.
ACCEPTED_DEMUXERS = "mov,mp4,m4a,3gp,3g2,mj2,matroska,webm"
MAX_PIXELS = 7680 * 4320

# Why such a file arrives instead of a video, for the people who read the refusal.
_WHY = {
    "an HTML web page": " (usually an error or sign-in page sent instead of the video)",
    "a JSON document": " (usually an error message sent instead of the video)",
    "an AVI video": ", a format not accepted (only MP4 and WebM are)",
    "an Ogg file": ", a format not accepted for videos",
    "a RIFF file": ", a format not accepted for videos",
}


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
            duration = float(stream.duration * _time_base(stream))
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
        head = handle.read(sniff.HEAD_BYTES)
    if not head:
        raise NotAVideo("The file is empty: it holds no video at all.")
    what = sniff.describe(head)
    if what:
        raise NotAVideo(f"The file looks like {what}{_WHY.get(what, '')}.")
    try:
        container = av.open(
            os.fspath(path.resolve()),
            options={"format_whitelist": ACCEPTED_DEMUXERS, "protocol_whitelist": "file"},
        )
    except (av.error.FFmpegError, ValueError):
        if sniff.is_video_container(head):
            raise NotAVideo("The video file is incomplete or damaged and cannot be read.") from None
        raise NotAVideo(
            "The file is not an MP4 or WebM video, nor anything recognisable."
        ) from None
    with container:
        _check_streams(container)
        yield container


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


def _time_base(stream: av.VideoStream) -> Fraction:
    """The seconds one tick of the stream's timestamps lasts."""
    # FFmpeg gives every demuxed stream a time base; only an output stream may lack one.
    if stream.time_base is None:
        raise NotAVideo("The video's timing cannot be read.")
    return stream.time_base


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
    time_base = _time_base(stream)
    start = float(stream.start_time * time_base) if stream.start_time else 0.0
    target = start + seconds
    try:
        # Lands on the key frame before the target; decoding forward reaches the target.
        container.seek(int(target / time_base), stream=stream)
        chosen = None
        for frame in container.decode(stream):
            chosen = frame
            if frame.time is None or frame.time >= target:
                break
    except (av.error.FFmpegError, ValueError):
        return None
    return chosen
