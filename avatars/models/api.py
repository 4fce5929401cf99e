"""The public API's own rows: team keys and the answers kept for retried requests."""

from django.conf import settings
from django.db import models

from .teams import Team


class ApiScope(models.TextChoices):
    READ = "read", "Read"
    RENDER = "render", "Render"
    MANAGE = "manage", "Manage"


class ApiKey(models.Model):
    """A team's key for the API: a team's, not a person's, so it outlives who made it.

    Its secret is stored only as a SHA-256 digest (the secret is 32 random bytes, so a slow
    hash would add nothing). What the key does, it does as its own account (`user`), whose
    permissions are the scopes' within what its creator could do; so every rule of
    `avatars.access` applies to it unchanged, and the audit log names it.
    """

    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="api_keys")
    name = models.CharField(max_length=80, help_text="What uses it: “CRM sync”, “Zapier”.")
    scopes = models.JSONField(default=list)
    prefix = models.CharField(max_length=16, unique=True, editable=False)
    digest = models.CharField(max_length=64, unique=True, editable=False)
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="api_key", editable=False
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        editable=False,
    )
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True, editable=False)
    revoked_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        ordering = ["team", "name"]
        verbose_name = "API key"
        constraints = [
            models.UniqueConstraint(fields=["team", "name"], name="one_api_key_name_per_team")
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.team})"

    @property
    def active(self) -> bool:
        return self.revoked_at is None


class IdempotentRequest(models.Model):
    """The first answer to a POST sent with an `Idempotency-Key`, replayed to its retries."""

    api_key = models.ForeignKey(ApiKey, on_delete=models.CASCADE, related_name="+")
    key = models.CharField(max_length=255)
    # What was asked ("POST /api/v1/renders") and a digest of its body: a retry must match.
    operation = models.CharField(max_length=300)
    body_digest = models.CharField(max_length=64)
    status = models.PositiveSmallIntegerField(null=True)  # None: the first is still working
    response = models.JSONField(null=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["api_key", "key"], name="one_answer_per_idempotency_key"
            )
        ]

    def __str__(self) -> str:
        return f"{self.operation} ({self.key})"
