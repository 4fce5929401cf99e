"""Whether a portrait shows a face: a warning for people, never a reason to refuse one.

The core has no face detector of its own (OpenCV is the [sandbox] extra's): a detector is
lent by whoever has one — the sandbox, where it is installed and mounted, registers its
own. Without one the answer is None ("could not check"), never an error.
"""

from collections.abc import Callable

Detector = Callable[[bytes], bool | None]
_detectors: list[Detector] = []


def register(detector: Detector) -> None:
    if detector not in _detectors:
        _detectors.append(detector)


def detector_available() -> bool:
    return bool(_detectors)


def face_found(image: bytes) -> bool | None:
    """True or False for an encoded image (JPEG, PNG…); None when it could not be checked."""
    return _detectors[0](image) if _detectors else None
