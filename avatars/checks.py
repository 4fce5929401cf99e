"""System checks: configuration that would otherwise fail later, in a worse place."""

from typing import Any

from django.conf import settings
from django.core import checks

from avatars.providers.sandbox import missing_extra


@checks.register()
def sandbox_extra_installed(app_configs: Any = None, **kwargs: Any) -> list[checks.CheckMessage]:
    """SANDBOX_ENABLED needs the [sandbox] extra (OpenCV, espeak-ng, pykakasi)."""
    missing = missing_extra() if settings.SANDBOX_ENABLED else []
    if not missing:
        return []
    return [
        checks.Error(
            "SANDBOX_ENABLED is on (it defaults to DEBUG), but the sandbox's [sandbox] extra is "
            f"not installed (missing: {', '.join(missing)}).",
            hint="pip install -e '.[sandbox]' (make run does), or set SANDBOX_ENABLED=false.",
            id="avatars.E001",
        )
    ]
