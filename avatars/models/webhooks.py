"""Outgoing webhooks: a team's endpoints, the events it hears of, and each delivery's tries."""

from django.conf import settings
from django.db import models

from .teams import Team


class WebhookEndpoint(models.Model):
    """Where a team wants to hear of events, signed with the endpoint's own secret.

    After a rotation the old secret keeps signing too (both signatures are sent) until
    `previous_secret_until`, so a receiver can switch without missing a delivery.
    """

    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="webhook_endpoints")
    url = models.URLField(max_length=2000)
    events = models.JSONField(default=list, help_text="Event types; empty: every event.")
    enabled = models.BooleanField(default=True)
    disabled_reason = models.CharField(max_length=300, blank=True)
    secret = models.CharField(max_length=100, editable=False)
    previous_secret = models.CharField(max_length=100, blank=True, editable=False)
    previous_secret_until = models.DateTimeField(null=True, blank=True, editable=False)
    # Set by the first failure after a success; a delivery clears it.
    failing_since = models.DateTimeField(null=True, blank=True, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["team", "pk"]

    def __str__(self) -> str:
        return self.url

    def wants(self, event_type: str) -> bool:
        return self.enabled and (not self.events or event_type in self.events)


class WebhookEvent(models.Model):
    """Something that happened, once: its `event_id` is the `webhook-id` of every delivery."""

    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="+")
    event_id = models.CharField(max_length=100, unique=True)
    type = models.CharField(max_length=50)
    payload = models.JSONField()
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"{self.type} {self.event_id}"


class WebhookMessage(models.Model):
    """One event for one endpoint: tried until an answer in 2xx, or given up."""

    class State(models.TextChoices):
        PENDING = "pending", "Pending"
        DELIVERED = "delivered", "Delivered"
        FAILED = "failed", "Failed"

    endpoint = models.ForeignKey(WebhookEndpoint, on_delete=models.CASCADE, related_name="messages")
    event = models.ForeignKey(WebhookEvent, on_delete=models.CASCADE, related_name="messages")
    state = models.CharField(max_length=10, choices=State.choices, default=State.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-pk"]
        constraints = [
            models.UniqueConstraint(fields=["endpoint", "event"], name="one_message_per_endpoint")
        ]

    def __str__(self) -> str:
        return f"{self.event} → {self.endpoint}"


class WebhookAttempt(models.Model):
    """One try of a message: what the receiver answered, and how long it took."""

    message = models.ForeignKey(WebhookMessage, on_delete=models.CASCADE, related_name="tries")
    number = models.PositiveSmallIntegerField()
    status_code = models.PositiveSmallIntegerField(null=True)
    milliseconds = models.PositiveIntegerField(default=0)
    response_excerpt = models.CharField(max_length=500, blank=True)
    error = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["pk"]

    def __str__(self) -> str:
        return f"try {self.number}: {self.status_code or self.error}"
