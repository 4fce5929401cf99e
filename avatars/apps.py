from typing import Any

from django.apps import AppConfig
from django.db.models.signals import post_migrate


class AvatarsConfig(AppConfig):
    name = "avatars"
    verbose_name = "Avatar Studio"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from avatars import checks, signals  # noqa: F401
        from avatars.observability import provider_calls

        provider_calls.connect()
        post_migrate.connect(_sync_roles, sender=self)


def _sync_roles(sender: AppConfig, apps: Any = None, **kwargs: Any) -> None:
    # The migrations create the role groups; this keeps them after a flush (as tests do)
    # and in step with permissions that later code adds.
    from django.apps import apps as installed_apps

    from avatars.roles import sync_role_groups

    sync_role_groups(apps or installed_apps)
