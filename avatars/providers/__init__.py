"""Provider adapters by name; the registry is the only place that builds them.

Every adapter it builds is `Monitored`: its calls are told to the observers the app connects
at start-up (`monitoring.observe`), so that the adapters themselves know nothing of the
database.
"""

from functools import cache

from django.conf import settings
from django.core.signals import setting_changed
from django.dispatch import receiver

from avatars.catalog import PROVIDER_LABELS

from .base import Provider
from .crun import CrunProvider
from .lumenfall import LumenfallProvider
from .monitoring import Monitored
from .replicate import ReplicateProvider
from .sandbox import SandboxProvider


@cache
def get_provider(name: str) -> Provider:
    return Monitored(_build(name))


def _build(name: str) -> Provider:
    if name == "crun":
        return CrunProvider(settings.CRUN_BASE_URL, settings.CRUN_API_KEY)
    if name == "lumenfall":
        return LumenfallProvider(
            settings.LUMENFALL_BASE_URL,
            settings.LUMENFALL_API_KEY,
            settings.LUMENFALL_WEBHOOK_SECRET,
        )
    if name == "replicate":
        return ReplicateProvider(
            settings.REPLICATE_BASE_URL,
            settings.REPLICATE_API_TOKEN,
            settings.REPLICATE_WEBHOOK_SECRET,
        )
    if name == "sandbox":
        return SandboxProvider(settings.SANDBOX_BASE_URL, settings.SANDBOX_API_KEY)
    raise KeyError(f"No provider is called {name!r}.")


def configured_providers() -> list[str]:
    return [name for name in PROVIDER_LABELS if get_provider(name).configured]


@receiver(setting_changed)
def _rebuild_on_settings_change(setting: str, **kwargs: object) -> None:
    if setting.startswith(("CRUN_", "LUMENFALL_", "REPLICATE_", "SANDBOX_", "PUBLIC_BASE_URL")):
        get_provider.cache_clear()
