"""The local sandbox: Crun's contract, served by this app itself (avatars/sandbox/)."""

import dataclasses
from typing import Any

from django.conf import settings

from .base import TaskState
from .crun import CrunProvider

MAX_NOTES = 5
MAX_NOTE_CHARS = 500


class SandboxProvider(CrunProvider):
    name = "sandbox"
    label = "Sandbox (free offline draft)"
    who = "The sandbox"
    account = "sandbox"

    @property
    def configured(self) -> bool:
        return settings.SANDBOX_ENABLED

    def task_state(self, data: Any) -> TaskState:
        """Crun's task, plus the sandbox's notes on what its draft could not do as asked."""
        state = super().task_state(data)
        result = data.get("result") if isinstance(data.get("result"), dict) else {}
        notes = result.get("notes")
        if not isinstance(notes, list):
            return state
        kept = tuple(n[:MAX_NOTE_CHARS] for n in notes[:MAX_NOTES] if isinstance(n, str) and n)
        return dataclasses.replace(state, notes=kept)
