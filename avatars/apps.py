from django.apps import AppConfig


class AvatarsConfig(AppConfig):
    name = "avatars"
    verbose_name = "Avatar Studio"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from avatars import signals  # noqa: F401
