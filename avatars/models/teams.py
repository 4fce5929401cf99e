from decimal import Decimal

from django.conf import settings
from django.db import models

from avatars.catalog import PROVIDER_LABELS


def provider_choices() -> list[tuple[str, str]]:
    return list(PROVIDER_LABELS.items())


class Team(models.Model):
    """A workspace: its members see and spend within it, and nowhere else."""

    name = models.CharField(max_length=100, unique=True)
    slug = models.SlugField(max_length=50, unique=True)
    members = models.ManyToManyField(settings.AUTH_USER_MODEL, related_name="teams", blank=True)
    monthly_budget = models.DecimalField(
        "monthly budget (USD)",
        max_digits=12,
        decimal_places=2,
        default=Decimal("100.00"),
        help_text="What the team may spend on renders in a calendar month, at provider prices.",
    )
    approval_threshold = models.DecimalField(
        "approval threshold (USD)",
        max_digits=12,
        decimal_places=2,
        null=True,
        blank=True,
        default=Decimal("5.00"),
        help_text="Renders estimated above this wait for an Editor's approval. Empty: never.",
    )
    preferred_provider = models.CharField(
        max_length=20,
        blank=True,
        choices=provider_choices,
        help_text="Where the team's renders go unless the request names a provider. "
        "Empty: the site's default.",
    )
    fallback_providers = models.JSONField(
        default=list,
        blank=True,
        help_text="Where a render goes, in this order, when its provider is unavailable.",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name
