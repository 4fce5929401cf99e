"""The local sandbox: Crun's contract, served by this app itself (avatars/sandbox/).

Configured only when SANDBOX_ENABLED is on and the [sandbox] extra is installed; the adapter
itself needs none of the extra, so a production install without it imports this safely.
"""

import dataclasses
import importlib.util
import math
from typing import Any, TypeGuard

from django.conf import settings

from .base import TaskState
from .crun import CrunProvider

MAX_NOTES = 5
MAX_NOTE_CHARS = 500
# A 5,000-character script has about a thousand words; anything far beyond is not timings.
MAX_WORDS = 5000
MAX_WORD_CHARS = 100
# What the sandbox's draft needs beyond the core install (pyproject.toml's [sandbox] extra).
EXTRA_MODULES = ("cv2", "espeakng_loader", "pykakasi")

Word = tuple[str, float, float]


def missing_extra() -> list[str]:
    """The modules of the [sandbox] extra that are not installed, found without importing them."""
    return [name for name in EXTRA_MODULES if importlib.util.find_spec(name) is None]


class SandboxProvider(CrunProvider):
    name = "sandbox"
    label = "Sandbox (free offline draft)"
    who = "The sandbox"
    account = "sandbox"

    @property
    def configured(self) -> bool:
        return settings.SANDBOX_ENABLED and not missing_extra()

    def task_state(self, data: Any) -> TaskState:
        """Crun's task, plus the sandbox's notes and the timing of every word it spoke."""
        state = super().task_state(data)
        result = data.get("result") if isinstance(data.get("result"), dict) else {}
        notes = result.get("notes")
        kept: tuple[str, ...] = ()
        if isinstance(notes, list):
            kept = tuple(n[:MAX_NOTE_CHARS] for n in notes[:MAX_NOTES] if isinstance(n, str) and n)
        return dataclasses.replace(state, notes=kept, words=spoken_words(result.get("words")))


def spoken_words(reported: object) -> tuple[Word, ...]:
    """`[[word, start_s, end_s], …]` as timings, or none at all if any of it is implausible."""
    if not isinstance(reported, list) or len(reported) > MAX_WORDS:
        return ()
    words: list[Word] = []
    previous_start = 0.0
    for item in reported:
        if not (isinstance(item, list) and len(item) == 3):
            return ()
        word, start, end = item
        if not (isinstance(word, str) and 0 < len(word) <= MAX_WORD_CHARS):
            return ()
        if not (_is_number(start) and _is_number(end) and previous_start <= start <= end):
            return ()
        words.append((word, float(start), float(end)))
        previous_start = float(start)
    return tuple(words)


def _is_number(value: object) -> TypeGuard[int | float]:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)
