"""Offline talking-head drafts: the portrait speaks, blinks and moves its head a little.

Frames are drawn and encoded one at a time, so memory stays flat however long the speech is.
Head motion and blinks depend only on the video's length, never on the audio, so two drafts of
the same length differ only in their mouths.
"""

import io
import math
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import av
import cv2
import numpy as np
from PIL import Image, ImageOps

from avatars.sandbox import visemes
from avatars.sandbox.face import Box, Face, find_face

# Peak extra zoom and the seconds one slow zoom in and out takes.
ZOOM = 0.02
ZOOM_PERIOD_S = 8.0
# Head sway in degrees and nod as a share of the frame's height: enough to look alive.
SWAY_DEGREES = (0.9, 0.35)
NOD = 0.0035
# Seconds between blinks, and how shut the lids are over the frames of one blink.
BLINK_EVERY_S = (2.5, 5.5)
BLINK = (0.45, 0.9, 1.0, 0.7, 0.3)
# Without a face the whole picture swells this much with the voice instead.
PULSE = 0.006
# veryfast costs about a quarter more CPU than ultrafast but makes files five times smaller.
X264_OPTIONS = {"preset": "veryfast", "crf": "28"}
AUDIO_BIT_RATE = 96_000
# Input samples per audio frame handed to the resampler and encoder.
AUDIO_CHUNK = 1024
# The mouth is lip-red at its edge and near black deep inside.
MOUTH_EDGE_BGR = (48, 42, 112)
MOUTH_CORE_BGR = (14, 10, 32)
TEETH_COLOUR_BGR = (212, 218, 226)
NO_FACE_NOTE = (
    "The sandbox found no face in the portrait, so the draft moves the whole picture with the "
    "voice instead of a mouth. A front-facing photo with the face clearly visible works best."
)


@dataclass(frozen=True)
class Rendered:
    duration: float
    face_found: bool
    frames: int

    @property
    def notes(self) -> list[str]:
        return [] if self.face_found else [NO_FACE_NOTE]


def render_talking_head(
    portrait: bytes | Image.Image,
    audio: np.ndarray,
    sample_rate: int,
    out_path: str | Path,
    resolution: tuple[int, int] = (1280, 720),
    fps: int = 25,
    phonemes: list[tuple[str, float]] | None = None,
) -> Rendered:
    """Write an H.264/AAC MP4 of `portrait` speaking `audio`.

    `audio` is mono float32 in [-1, 1]; `phonemes` are espeak-ng's (IPA, start second) when the
    words are known, and shape the mouth. The video lasts as long as the audio, to within half a
    frame. Raises ValueError for an odd or empty resolution, empty audio or an unreadable image,
    and leaves no file behind when it fails.
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
    face = find_face(canvas, placed)
    frame_count = max(1, round(len(samples) / sample_rate * fps))
    level = visemes.loudness(samples, sample_rate, fps, frame_count)
    mouth = (
        visemes.from_phonemes(phonemes, level, fps) if phonemes else visemes.from_loudness(level)
    )
    try:
        _encode(canvas, face, mouth, level, samples, sample_rate, out_path, fps)
    except BaseException:
        Path(out_path).unlink(missing_ok=True)
        raise
    duration = max(frame_count / fps, len(samples) / sample_rate)
    return Rendered(duration=duration, face_found=face is not None, frames=frame_count)


def _encode(
    canvas: np.ndarray,
    face: Face | None,
    mouth: visemes.MouthTrack,
    level: np.ndarray,
    samples: np.ndarray,
    sample_rate: int,
    out_path: str | Path,
    fps: int,
) -> None:
    height, width = canvas.shape[:2]
    frames = len(level)
    blinks = blink_track(frames, fps) if face and face.eyes else np.zeros(frames)
    lids = _lid_colours(canvas, face) if face and face.eyes else []
    pivot = (face.centre[0], face.box[1] + face.box[3] * 1.1) if face else (width / 2, height * 0.6)
    # 44.1 kHz is a whole multiple of espeak-ng's 22.05 kHz; everything else goes to 48 kHz.
    aac_rate = 44_100 if 44_100 % sample_rate == 0 else 48_000
    with av.open(
        str(out_path), "w", format="mp4", container_options={"movflags": "+faststart"}
    ) as container:
        video = container.add_stream("libx264", rate=fps, options=X264_OPTIONS)
        video.width, video.height, video.pix_fmt = width, height, "yuv420p"
        sound = container.add_stream("aac", rate=aac_rate, layout="mono")
        sound.bit_rate = AUDIO_BIT_RATE
        resampler = av.AudioResampler(format="fltp", layout="mono", rate=aac_rate)
        sent = 0
        # Features are drawn straight onto the canvas and the face rubbed out again after
        # each frame: copying a face-sized patch is far cheaper than copying the frame.
        patch = _feature_area(face, width, height) if face else (slice(0, 0), slice(0, 0))
        pristine = canvas[patch].copy()
        for index in range(frames):
            moving = mouth.openness[index] > 0 or blinks[index] > 0
            drawn = face if moving else None
            if drawn is not None:
                if blinks[index] > 0:
                    for eye, skin in zip(drawn.eyes, lids, strict=True):
                        _draw_eyelid(canvas, eye, float(blinks[index]), skin)
                if mouth.openness[index] > 0:
                    _draw_mouth(
                        canvas, drawn, float(mouth.openness[index]), float(mouth.width[index])
                    )
            pulse = 0.0 if face else PULSE * float(level[index])
            matrix = head_pose(index, fps, pivot, height, pulse)
            image = cv2.warpAffine(
                canvas,
                matrix,
                (width, height),
                flags=cv2.INTER_LINEAR,
                borderMode=cv2.BORDER_REFLECT101,
            )
            if drawn is not None:
                canvas[patch] = pristine
            frame = av.VideoFrame.from_ndarray(
                np.asarray(cv2.cvtColor(image, cv2.COLOR_BGR2YUV_I420), dtype=np.uint8),
                format="yuv420p",
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


def head_pose(
    index: int, fps: int, pivot: tuple[float, float], height: int, pulse: float = 0.0
) -> np.ndarray:
    """The affine matrix of frame `index`: a slow zoom, a gentle sway about the neck, a nod."""
    t = index / fps
    zoom = 1 + ZOOM * (0.5 - 0.5 * math.cos(2 * math.pi * t / ZOOM_PERIOD_S)) + pulse
    angle = SWAY_DEGREES[0] * math.sin(2 * math.pi * t / 6.1) + SWAY_DEGREES[1] * math.sin(
        2 * math.pi * t / 2.3 + 0.7
    )
    matrix = cv2.getRotationMatrix2D(pivot, angle, zoom)
    matrix[1, 2] += NOD * height * math.sin(2 * math.pi * t / 3.7 + 1.3)
    return matrix.astype(np.float32)


def blink_track(frames: int, fps: int) -> np.ndarray:
    """How shut the eyelids are in each frame: a short blink every few seconds."""
    closed = np.zeros(frames, dtype=np.float32)
    # Seeded by the length alone, so the same draft always blinks at the same moments.
    random = np.random.default_rng(frames)
    at = random.uniform(1.0, 2.5)
    while (start := round(at * fps)) < frames:
        span = closed[start : start + len(BLINK)]
        span[:] = BLINK[: len(span)]
        at += random.uniform(*BLINK_EVERY_S)
    return closed


def load_audio(source: str | Path | bytes) -> tuple[np.ndarray, int]:
    """Decode a wav, mp3 or flac file (a path or its bytes) to float32 mono and its sample rate."""
    try:
        opened = io.BytesIO(source) if isinstance(source, bytes) else str(source)
        with av.open(opened, "r") as container:
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


def _feature_area(face: Face, width: int, height: int) -> tuple[slice, slice]:
    """The part of the canvas that eyelids and the mouth can touch: the face and a margin."""
    x, y, w, h = face.box
    return (
        slice(max(y - h // 4, 0), min(y + h + h // 4, height)),
        slice(max(x - w // 4, 0), min(x + w + w // 4, width)),
    )


def _lid_colours(canvas: np.ndarray, face: Face) -> list[np.ndarray]:
    """Per eye, the colour of the skin just under it: the nearest match for its lid."""
    colours = []
    for ex, ey, ew, eh in face.eyes:
        under = canvas[ey + int(eh * 0.85) : ey + int(eh * 1.05), ex + ew // 4 : ex + 3 * ew // 4]
        colours.append(np.median(under.reshape(-1, 3), axis=0).astype(np.float32))
    return colours


def _draw_eyelid(image: np.ndarray, eye: Box, shut: float, skin: np.ndarray) -> None:
    """Lower a soft lid of skin over the eye from the top, darker along its edge."""
    ex, ey, ew, eh = eye
    cx, cy = ex + ew / 2, ey + eh * 0.55
    half_w, half_h = ew * 0.36, eh * 0.22
    pad = 4
    left, top = max(int(cx - half_w) - pad, 0), max(int(cy - half_h) - pad, 0)
    right = min(int(cx + half_w) + pad + 1, image.shape[1])
    bottom = min(int(cy + half_h) + pad + 1, image.shape[0])
    if right <= left or bottom <= top:
        return
    mask = np.zeros((bottom - top, right - left), dtype=np.float32)
    centre = (round(cx - left), round(cy - top))
    cv2.ellipse(mask, centre, (round(half_w), round(half_h)), 0, 0, 360, 1.0, -1, cv2.LINE_AA)
    edge = cy - half_h + 2 * half_h * shut - top
    rows = np.arange(mask.shape[0], dtype=np.float32)[:, np.newaxis]
    soft = max(1.0, half_h * 0.3)
    lid = cv2.GaussianBlur(mask * np.clip(edge - rows + 0.5, 0, 1), (0, 0), soft)
    lashes = lid * np.clip(1 - np.abs(rows - edge) / 1.5, 0, 1) * 0.5 * shut
    region: np.ndarray = image[top:bottom, left:right].astype(np.float32)
    region = region * (1 - lid[..., None]) + skin * lid[..., None]
    region = region * (1 - lashes[..., None]) + skin * 0.45 * lashes[..., None]
    image[top:bottom, left:right] = region.astype(np.uint8)


def _draw_mouth(image: np.ndarray, face: Face, openness: float, stretch: float) -> None:
    """Open a dark mouth at the lips, taller the more open, with teeth showing when it is wide."""
    _, _, _, h = face.box
    cx, cy = face.mouth
    half_w = max(2.0, face.mouth_width / 2 * stretch * (0.75 + 0.25 * openness))
    half_h = max(1.0, h * 0.065 * openness)
    # The jaw drops: the mouth grows downwards from the line of the lips.
    cy += half_h * 0.6
    pad = 4
    left, right = max(int(cx - half_w) - pad, 0), min(int(cx + half_w) + pad + 1, image.shape[1])
    top, bottom = max(int(cy - half_h) - pad, 0), min(int(cy + half_h) + pad + 1, image.shape[0])
    if right <= left or bottom <= top:
        return
    centre = (round(cx - left), round(cy - top))
    axes = (round(half_w), round(half_h))
    mask = np.zeros((bottom - top, right - left), dtype=np.float32)
    cv2.ellipse(mask, centre, axes, 0, 0, 360, 1.0, -1, cv2.LINE_AA)
    mask = cv2.GaussianBlur(mask, (0, 0), 1.2)
    core = np.zeros_like(mask)
    core_axes = (round(half_w * 0.8), round(half_h * 0.6))
    cv2.ellipse(core, centre, core_axes, 0, 0, 360, 1.0, -1, cv2.LINE_AA)
    core = cv2.GaussianBlur(core, (0, 0), max(1.0, half_h * 0.3))[..., np.newaxis]
    edge, deep = (np.array(bgr, dtype=np.float32) for bgr in (MOUTH_EDGE_BGR, MOUTH_CORE_BGR))
    colour = (1 - core) * edge + core * deep
    region = image[top:bottom, left:right].astype(np.float32)
    inside = (mask * 0.92)[..., np.newaxis]
    region = region * (1 - inside) + colour * inside
    if openness > 0.35:
        # The upper teeth: a pale band along the top of the opening.
        rows = np.arange(mask.shape[0], dtype=np.float32)[:, np.newaxis]
        band = (rows < centre[1] - half_h * 0.45) * mask * min(1.0, (openness - 0.35) * 3) * 0.8
        teeth = np.array(TEETH_COLOUR_BGR, dtype=np.float32)
        region = region * (1 - band[..., None]) + teeth * band[..., None]
    image[top:bottom, left:right] = region.astype(np.uint8)
