"""What the providers' APIs did lately, for the admin's provider health page."""

from django.db import models
from django.utils import timezone


class ProviderCall(models.Model):
    """One request to a provider's API and how it went. Kept for a week."""

    provider = models.CharField(max_length=20)
    operation = models.CharField(max_length=20, help_text="submit, fetch, cancel or check")
    ok = models.BooleanField()
    error_code = models.CharField(max_length=40, blank=True)
    message = models.TextField(blank=True, help_text="The error, in words for people.")
    duration = models.FloatField(null=True, blank=True, help_text="Seconds the call took.")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = "provider health"
        verbose_name_plural = "provider health"
        indexes = [
            models.Index(fields=["provider", "ok", "created_at"], name="provider_call_outcome"),
            models.Index(fields=["created_at"], name="provider_call_age"),
        ]

    def __str__(self) -> str:
        return f"{self.provider} {self.operation} {'ok' if self.ok else self.error_code}"
