"""The local sandbox: Crun's contract, served by this app itself (avatars/sandbox/)."""

from django.conf import settings

from .crun import CrunProvider


class SandboxProvider(CrunProvider):
    name = "sandbox"
    label = "Sandbox (free offline draft)"
    who = "The sandbox"
    account = "sandbox"

    @property
    def configured(self) -> bool:
        return settings.SANDBOX_ENABLED
