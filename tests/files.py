"""Real media files for the tests, made on the spot."""

import io
import math
import wave

import av
import numpy as np
from PIL import Image


def image_bytes(
    size: tuple[int, int] = (600, 800),
    fmt: str = "JPEG",
    mode: str = "RGB",
    color: object = (200, 120, 90),
    **save: object,
) -> bytes:
    out = io.BytesIO()
    Image.new(mode, size, color).save(out, fmt, **save)
    return out.getvalue()


def portrait_bytes(seed: int = 0, size: tuple[int, int] = (600, 800), fmt: str = "JPEG") -> bytes:
    """A distinct picture per seed, so that its hash differs."""
    rng = np.random.default_rng(seed)
    pixels = rng.integers(0, 255, (size[1] // 20, size[0] // 20, 3), dtype=np.uint8)
    image = Image.fromarray(pixels, "RGB").resize(size, Image.Resampling.NEAREST)
    out = io.BytesIO()
    image.save(out, fmt)
    return out.getvalue()


def tone(seconds: float, rate: int = 16000, amplitude: float = 0.5) -> np.ndarray:
    t = np.arange(int(seconds * rate)) / rate
    return (amplitude * np.sin(2 * math.pi * 220 * t)).astype(np.float32)


def wav_bytes(samples: np.ndarray, rate: int = 16000) -> bytes:
    out = io.BytesIO()
    with wave.open(out, "wb") as wav:
        wav.setnchannels(1)
        wav.setsampwidth(2)
        wav.setframerate(rate)
        wav.writeframes((np.clip(samples, -1, 1) * 32767).astype("<i2").tobytes())
    return out.getvalue()


def encoded_bytes(samples: np.ndarray, fmt: str, codec: str, rate: int = 16000) -> bytes:
    """Encode mono float samples with FFmpeg (mp3 through LAME, flac natively)."""
    out = io.BytesIO()
    with av.open(out, "w", format=fmt) as container:
        stream = container.add_stream(codec, rate=rate, layout="mono")
        sample_format = "s16" if codec == "flac" else "fltp"
        chunk = 1152
        for start in range(0, len(samples), chunk):
            block = samples[start : start + chunk]
            if sample_format == "s16":
                data = (np.clip(block, -1, 1) * 32767).astype(np.int16).reshape(1, -1)
            else:
                data = block.reshape(1, -1)
            frame = av.AudioFrame.from_ndarray(data, format=sample_format, layout="mono")
            frame.sample_rate = rate
            frame.pts = start
            for packet in stream.encode(frame):
                container.mux(packet)
        for packet in stream.encode(None):
            container.mux(packet)
    return out.getvalue()


FPS = 25


def mp4_bytes(
    seconds: float = 1.0,
    size: tuple[int, int] = (128, 72),
    audio: bool = True,
    picture: bool = True,
    fmt: str = "mp4",
    codec: str = "libx264",
) -> bytes:
    """A real video whose frames brighten from black to white, so a frame tells its time."""
    out = io.BytesIO()
    rate = 48000
    with av.open(out, "w", format=fmt) as container:
        # Every stream must exist before the first packet is written.
        video = container.add_stream(codec, rate=FPS) if picture else None
        sound = container.add_stream("aac", rate=rate, layout="mono") if audio else None
        if video:
            video.width, video.height = size
            video.pix_fmt = "yuv420p"
            frames = round(seconds * FPS)
            for index in range(frames):
                level = round(255 * index / max(frames - 1, 1))
                pixels = np.full((size[1], size[0], 3), level, np.uint8)
                frame = av.VideoFrame.from_ndarray(pixels, format="rgb24")
                frame.pts = index
                container.mux(video.encode(frame))
            container.mux(video.encode(None))
        if sound:
            samples = tone(seconds, rate=rate, amplitude=0.2)
            for start in range(0, len(samples), 1024):
                chunk = samples[start : start + 1024].reshape(1, -1)
                frame = av.AudioFrame.from_ndarray(chunk, format="fltp", layout="mono")
                frame.sample_rate = rate
                frame.pts = start
                container.mux(sound.encode(frame))
            container.mux(sound.encode(None))
    return out.getvalue()
