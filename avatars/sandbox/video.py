"""Offline talking-head drafts: one portrait, a slow zoom and a mouth that opens with the audio.

Frames are drawn and encoded one at a time, so memory stays flat however long the speech is.
"""

import io
import math
from fractions import Fraction
from pathlib import Path

import av
import cv2
import numpy as np
from PIL import Image, ImageOps

# Peak extra zoom and the seconds one slow zoom in and out takes.
ZOOM = 0.02
ZOOM_PERIOD_S = 8.0
# veryfast costs about a quarter more CPU than ultrafast but makes files five times smaller.
X264_OPTIONS = {"preset": "veryfast", "crf": "28"}
AUDIO_BIT_RATE = 96_000
# Input samples per audio frame handed to the resampler and encoder.
AUDIO_CHUNK = 1024
MOUTH_COLOUR_BGR = (28, 22, 52)


def render_talking_head(
    portrait: bytes | Image.Image,
    audio: np.ndarray,
    sample_rate: int,
    out_path: str | Path,
    resolution: tuple[int, int] = (1280, 720),
    fps: int = 25,
) -> float:
    """Write an H.264/AAC MP4 of `portrait` speaking `audio`; returns its duration in seconds.

    `audio` is mono float32 in [-1, 1]. The video lasts as long as the audio, to within half a
    frame. Raises ValueError for an odd or empty resolution, empty audio or an unreadable image.
    """
    width, height = resolution
    if width <= 0 or height <= 0 or width % 2 or height % 2:
        raise ValueError(f"Resolution must be positive and even, not {width}x{height}.")
    samples = np.asarray(audio, dtype=np.float32)
    if samples.ndim != 1 or not samples.size:
        raise ValueError("Audio must be a non-empty mono array.")
    if sample_rate <= 0 or fps <= 0:
        raise ValueError("Sample rate and frame rate must be positive.")

    canvas, placed = _compose(_open_portrait(portrait, (width, height)), width, height)
    face = _find_face(canvas, placed)
    frame_count = max(1, round(len(samples) / sample_rate * fps))
    openness = _mouth_openness(samples, sample_rate, fps, frame_count)

    try:
        _encode(canvas, face, openness, samples, sample_rate, out_path, fps)
    except BaseException:
        Path(out_path).unlink(missing_ok=True)
        raise
    return max(frame_count / fps, len(samples) / sample_rate)


def _encode(
    canvas: np.ndarray,
    face: tuple[int, int, int, int] | None,
    openness: np.ndarray,
    samples: np.ndarray,
    sample_rate: int,
    out_path: str | Path,
    fps: int,
) -> None:
    height, width = canvas.shape[:2]
    # 44.1 kHz is a whole multiple of espeak-ng's 22.05 kHz; everything else goes to 48 kHz.
    aac_rate = 44_100 if 44_100 % sample_rate == 0 else 48_000
    centre = (face[0] + face[2] / 2, face[1] + face[3] / 2) if face else (width / 2, height / 2)
    with av.open(
        str(out_path), "w", format="mp4", container_options={"movflags": "+faststart"}
    ) as container:
        video = container.add_stream("libx264", rate=fps, options=X264_OPTIONS)
        video.width, video.height, video.pix_fmt = width, height, "yuv420p"
        sound = container.add_stream("aac", rate=aac_rate, layout="mono")
        sound.bit_rate = AUDIO_BIT_RATE
        resampler = av.AudioResampler(format="fltp", layout="mono", rate=aac_rate)
        sent = 0
        for index in range(len(openness)):
            zoom = 1 + ZOOM * (0.5 - 0.5 * math.cos(2 * math.pi * index / fps / ZOOM_PERIOD_S))
            matrix = np.array(
                [[zoom, 0, centre[0] * (1 - zoom)], [0, zoom, centre[1] * (1 - zoom)]],
                dtype=np.float32,
            )
            image = cv2.warpAffine(canvas, matrix, (width, height), flags=cv2.INTER_LINEAR)
            if face and openness[index] > 0:
                _draw_mouth(image, face, matrix, float(openness[index]))
            frame = av.VideoFrame.from_ndarray(
                cv2.cvtColor(image, cv2.COLOR_BGR2YUV_I420), format="yuv420p"
            )
            frame.pts, frame.time_base = index, Fraction(1, fps)
            container.mux(video.encode(frame))
            # Keep the audio level with the video so the muxer never has to buffer much of either.
            due = min(len(samples), math.ceil((index + 1) * sample_rate / fps))
            sent = _send_audio(container, sound, resampler, samples, sample_rate, sent, due)
        _send_audio(container, sound, resampler, samples, sample_rate, sent, len(samples))
        for resampled in resampler.resample(None):
            container.mux(sound.encode(resampled))
        container.mux(sound.encode(None))
        container.mux(video.encode(None))


def load_audio(source: str | Path | bytes) -> tuple[np.ndarray, int]:
    """Decode a wav, mp3 or flac file (a path or its bytes) to float32 mono and its sample rate."""
    try:
        with av.open(io.BytesIO(source) if isinstance(source, bytes) else str(source)) as container:
            if not container.streams.audio:
                raise ValueError("The file has no audio.")
            stream = container.streams.audio[0]
            rate = stream.codec_context.sample_rate
            resampler = av.AudioResampler(format="flt", layout="mono", rate=rate)
            chunks = [
                resampled.to_ndarray()[0]
                for frame in container.decode(stream)
                for resampled in resampler.resample(frame)
            ]
            chunks += [resampled.to_ndarray()[0] for resampled in resampler.resample(None)]
    except av.FFmpegError as exc:
        raise ValueError(f"The audio could not be decoded: {exc}") from exc
    if not chunks:
        raise ValueError("The file has no audio.")
    # Down-mixing stereo can overshoot full scale a little.
    return np.clip(np.concatenate(chunks), -1.0, 1.0), rate


def _send_audio(
    container: av.container.OutputContainer,
    stream: av.AudioStream,
    resampler: av.AudioResampler,
    samples: np.ndarray,
    sample_rate: int,
    start: int,
    stop: int,
) -> int:
    """Encode samples[start:stop] in whole chunks and return how far it got."""
    while start < stop and (stop - start >= AUDIO_CHUNK or stop == len(samples)):
        chunk = samples[start : min(start + AUDIO_CHUNK, stop)]
        frame = av.AudioFrame.from_ndarray(chunk[np.newaxis, :], format="flt", layout="mono")
        frame.sample_rate, frame.pts, frame.time_base = sample_rate, start, Fraction(1, sample_rate)
        for resampled in resampler.resample(frame):
            container.mux(stream.encode(resampled))
        start += len(chunk)
    return start


def _open_portrait(portrait: bytes | Image.Image, size: tuple[int, int]) -> Image.Image:
    if isinstance(portrait, Image.Image):
        image = portrait
    else:
        try:
            image = Image.open(io.BytesIO(portrait))
            # A JPEG decodes straight at a fraction of its size: quicker and far less memory.
            image.draft("RGB", size)
            image.load()
        except (OSError, Image.DecompressionBombError) as exc:
            raise ValueError("The portrait could not be read as an image.") from exc
    image = ImageOps.exif_transpose(image)
    if image.mode in ("RGBA", "LA", "PA") or "transparency" in image.info:
        backdrop = Image.new("RGBA", image.size, (128, 128, 128, 255))
        image = Image.alpha_composite(backdrop, image.convert("RGBA"))
    return image.convert("RGB")


def _compose(
    image: Image.Image, width: int, height: int
) -> tuple[np.ndarray, tuple[int, int, int, int]]:
    """The portrait fitted whole and centred over a dark, blurred copy of itself (BGR).

    Also returns where the portrait sits, as (x, y, w, h).
    """
    rgb = np.asarray(image)
    h, w = rgb.shape[:2]
    # Blurring a sixteenth-size copy is as soft as blurring the full frame and far cheaper.
    cover = max(width / w, height / h) / 16
    bw, bh = max(1, width // 16), max(1, height // 16)
    small = cv2.resize(rgb, (max(bw, round(w * cover)), max(bh, round(h * cover))))
    top, left = (small.shape[0] - bh) // 2, (small.shape[1] - bw) // 2
    small = cv2.GaussianBlur(small[top : top + bh, left : left + bw], (0, 0), 2.5)
    canvas = (cv2.resize(small, (width, height)) * 0.45).astype(np.uint8)

    fit = min(width / w, height / h)
    fw, fh = max(1, round(w * fit)), max(1, round(h * fit))
    shrinking = fit < 1
    fitted = cv2.resize(
        rgb, (fw, fh), interpolation=cv2.INTER_AREA if shrinking else cv2.INTER_CUBIC
    )
    x, y = (width - fw) // 2, (height - fh) // 2
    canvas[y : y + fh, x : x + fw] = fitted
    return cv2.cvtColor(canvas, cv2.COLOR_RGB2BGR), (x, y, fw, fh)


def _find_face(
    canvas: np.ndarray, box: tuple[int, int, int, int]
) -> tuple[int, int, int, int] | None:
    """The clearest frontal face inside `box` as (x, y, w, h) in canvas pixels, if there is one."""
    x, y, w, h = box
    scale = min(1.0, 720 / max(w, h))
    portrait = cv2.resize(canvas[y : y + h, x : x + w], None, fx=scale, fy=scale)
    gray = cv2.cvtColor(portrait, cv2.COLOR_BGR2GRAY)
    # A classifier per call: CascadeClassifier is not safe to share between threads.
    cascade = cv2.CascadeClassifier(cv2.data.haarcascades + "haarcascade_frontalface_default.xml")
    smallest = max(24, round(min(gray.shape) / 8))
    faces, votes = cascade.detectMultiScale2(
        gray, scaleFactor=1.1, minNeighbors=5, minSize=(smallest, smallest)
    )
    if not len(faces):
        return None
    # The most votes rather than the biggest box: stray matches in clothing tend to be large.
    fx, fy, fw, fh = faces[int(np.argmax(votes))]
    return (
        x + round(fx / scale),
        y + round(fy / scale),
        round(fw / scale),
        round(fh / scale),
    )


def _mouth_openness(samples: np.ndarray, sample_rate: int, fps: int, frames: int) -> np.ndarray:
    """Per video frame, how far the mouth opens (0–1), following the audio's loudness."""
    bounds = np.round(np.arange(1, frames) * sample_rate / fps).astype(int)
    # Views, one per frame: squaring the whole signal at once would double a long clip's memory.
    rms = np.array(
        [np.sqrt(np.dot(part, part) / max(len(part), 1)) for part in np.split(samples, bounds)]
    )
    loud = float(np.percentile(rms, 90))
    if loud <= 1e-4:
        return np.zeros(frames, dtype=np.float32)
    floor = loud * 0.15
    level = np.clip((rms - floor) / (loud - floor), 0, 1)
    # Smooth the flutter between frames, but keep silent frames shut.
    smoothed = np.convolve(np.pad(level, 1, mode="edge"), [0.25, 0.5, 0.25], mode="valid")
    return np.where(rms > floor, smoothed, 0.0).astype(np.float32)


def _draw_mouth(
    image: np.ndarray, face: tuple[int, int, int, int], matrix: np.ndarray, openness: float
) -> None:
    """Darken an ellipse where the mouth sits, taller the louder the speech."""
    x, y, w, h = face
    zoom = float(matrix[0, 0])
    half_w = max(2.0, zoom * w * 0.13)
    half_h = max(1.0, zoom * h * 0.055 * openness)
    # The lips sit about three quarters down a Haar face box; the jaw drops, so grow downwards.
    cx = zoom * (x + w / 2) + float(matrix[0, 2])
    cy = zoom * (y + h * 0.76) + float(matrix[1, 2]) + half_h * 0.6
    pad = 4
    left, right = int(cx - half_w) - pad, int(cx + half_w) + pad + 1
    top, bottom = int(cy - half_h) - pad, int(cy + half_h) + pad + 1
    left, top = max(left, 0), max(top, 0)
    right, bottom = min(right, image.shape[1]), min(bottom, image.shape[0])
    if right <= left or bottom <= top:
        return
    mask = np.zeros((bottom - top, right - left), dtype=np.float32)
    cv2.ellipse(
        mask,
        (round(cx - left), round(cy - top)),
        (round(half_w), round(half_h)),
        0,
        0,
        360,
        1.0,
        thickness=-1,
        lineType=cv2.LINE_AA,
    )
    mask = cv2.GaussianBlur(mask, (0, 0), 1.5)[..., np.newaxis] * 0.85
    region = image[top:bottom, left:right]
    colour = np.array(MOUTH_COLOUR_BGR, dtype=np.float32)
    region[:] = (region * (1 - mask) + colour * mask).astype(np.uint8)
