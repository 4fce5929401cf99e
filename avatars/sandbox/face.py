"""Where the face, eyes and mouth sit in a portrait, found with OpenCV's bundled Haar cascades."""

from dataclasses import dataclass

import cv2
import numpy as np

Box = tuple[int, int, int, int]  # x, y, w, h in canvas pixels

# The lips sit about three quarters down a Haar face box, centred.
MOUTH_DOWN = 0.76
# Where the pupils sit in a Haar face box, for checking what the eye cascade found.
EYE_BAND = (0.18, 0.55)


@dataclass(frozen=True)
class Face:
    box: Box
    mouth: tuple[float, float]  # centre of the closed lips
    mouth_width: float  # from corner to corner
    eyes: tuple[Box, ...]  # zero or two; only both eyes found blink

    @property
    def centre(self) -> tuple[float, float]:
        x, y, w, h = self.box
        return x + w / 2, y + h / 2


def find_face(canvas: np.ndarray, within: Box) -> Face | None:
    """The clearest frontal face inside `within`, with its mouth and eyes, if there is one."""
    x, y, w, h = within
    scale = min(1.0, 720 / max(w, h))
    gray = cv2.cvtColor(
        cv2.resize(canvas[y : y + h, x : x + w], None, fx=scale, fy=scale), cv2.COLOR_BGR2GRAY
    )
    smallest = max(24, round(min(gray.shape) / 8))
    faces, votes = _cascade("frontalface_default").detectMultiScale2(
        gray, scaleFactor=1.1, minNeighbors=5, minSize=(smallest, smallest)
    )
    if not len(faces):
        return None
    # The most votes rather than the biggest box: stray matches in clothing tend to be large.
    fx, fy, fw, fh = (int(v) for v in faces[int(np.argmax(votes))])
    eyes = _eyes(gray[fy : fy + fh, fx : fx + fw])
    box = (x + round(fx / scale), y + round(fy / scale), round(fw / scale), round(fh / scale))
    mouth_x, mouth_y = box[0] + box[2] / 2, box[1] + box[3] * MOUTH_DOWN
    if eyes:
        # Between the eyes is a steadier middle than the box's for a slightly turned face.
        (ax, _, aw, _), (bx, _, bw, _) = eyes
        mouth_x = box[0] + ((ax + aw / 2) + (bx + bw / 2)) / 2 / scale
    return Face(
        box=box,
        mouth=(mouth_x, mouth_y),
        mouth_width=box[2] * 0.3,
        eyes=tuple(
            (
                box[0] + round(ex / scale),
                box[1] + round(ey / scale),
                round(ew / scale),
                round(eh / scale),
            )
            for ex, ey, ew, eh in eyes
        ),
    )


def _eyes(face: np.ndarray) -> tuple[Box, ...]:
    """Both eyes in a face crop (left first), or none when the cascade is unsure."""
    h, w = face.shape[:2]
    top, bottom = round(h * EYE_BAND[0]), round(h * EYE_BAND[1])
    # Glasses hide eyes from the plain cascade; its eyeglasses twin finds them.
    for name in ("eye", "eye_tree_eyeglasses"):
        found = _cascade(name).detectMultiScale(
            face[top:bottom], scaleFactor=1.1, minNeighbors=2, minSize=(w // 10, w // 10)
        )
        left = [e for e in found if e[0] + e[2] / 2 < w / 2]
        right = [e for e in found if e[0] + e[2] / 2 >= w / 2]
        if left and right:
            break
    else:
        return ()
    pair = (max(left, key=lambda e: e[2]), max(right, key=lambda e: e[2]))
    return tuple((int(ex), int(ey) + top, int(ew), int(eh)) for ex, ey, ew, eh in pair)


def _cascade(name: str) -> cv2.CascadeClassifier:
    # A classifier per call: CascadeClassifier is not safe to share between threads.
    folder = cv2.data.haarcascades  # type: ignore[attr-defined]  # cv2's stubs omit cv2.data
    return cv2.CascadeClassifier(f"{folder}haarcascade_{name}.xml")


def portrait_has_face(image: bytes) -> bool | None:
    """Whether an encoded portrait (JPEG, PNG…) shows a face; None if it cannot be decoded."""
    canvas = cv2.imdecode(np.frombuffer(image, np.uint8), cv2.IMREAD_COLOR)
    if canvas is None:
        return None
    height, width = canvas.shape[:2]
    return find_face(canvas, (0, 0, width, height)) is not None
