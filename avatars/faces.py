"""Whether a portrait shows a face: a warning for people, never a reason to refuse one.

The detector is OpenCV's, which only the [sandbox] extra installs; where it is missing
the answer is None ("could not check"), never an error.
"""

import importlib.util


def detector_available() -> bool:
    return importlib.util.find_spec("cv2") is not None


def face_found(image: bytes) -> bool | None:
    """True or False for an encoded image (JPEG, PNG…); None when it could not be checked."""
    if not detector_available():
        return None
    import cv2
    import numpy as np

    from avatars.sandbox.face import find_face

    canvas = cv2.imdecode(np.frombuffer(image, np.uint8), cv2.IMREAD_COLOR)
    if canvas is None:
        return None
    height, width = canvas.shape[:2]
    return find_face(canvas, (0, 0, width, height)) is not None
