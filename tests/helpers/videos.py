"""Videos for servers to hand out: a tiny one to keep in memory, and big ones on disk."""

from __future__ import annotations

import io
import struct
from pathlib import Path

import av
import numpy as np


def tiny_mp4(seconds: float = 0.2, size: int = 64, fps: int = 25) -> bytes:
    """A real H.264 MP4 of a few frames, small enough to serve from memory."""
    out = io.BytesIO()
    with av.open(out, "w", format="mp4") as container:
        stream = container.add_stream("libx264", rate=fps)
        stream.width = stream.height = size
        stream.pix_fmt = "yuv420p"
        for index in range(round(seconds * fps)):
            pixels = np.full((size, size, 3), (index * 40) % 255, dtype=np.uint8)
            frame = av.VideoFrame.from_ndarray(pixels, format="rgb24")
            for packet in stream.encode(frame):
                container.mux(packet)
        for packet in stream.encode(None):
            container.mux(packet)
    return out.getvalue()


def write_padded_mp4(path: Path, total_bytes: int, video: bytes) -> None:
    """A valid MP4 of `total_bytes`: `video` followed by one `free` box that demuxers skip."""
    padding = total_bytes - len(video)
    block = bytes(8 * 1024 * 1024)
    with path.open("wb") as out:
        out.write(video)
        out.write(struct.pack(">I4s", padding, b"free"))
        left = padding - 8
        while left > 0:
            left -= out.write(block[: min(left, len(block))])
