"""The asset library: avatars, voices, scripts (with revisions) and audio clips."""

import datetime
import enum
import uuid
from pathlib import PurePosixPath
from typing import Self

from django.conf import settings
from django.db import models
from django.utils import timezone

from avatars import catalog, scripts

from .teams import Team


class TeamAsset(models.Model):
    team = models.ForeignKey(Team, on_delete=models.PROTECT)
    archived = models.BooleanField(default=False, db_index=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        abstract = True


class Tag(models.Model):
    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="tags")
    name = models.CharField(max_length=40)

    class Meta:
        ordering = ["name"]
        constraints = [models.UniqueConstraint("team", "name", name="tag_unique_per_team")]

    def __str__(self) -> str:
        return self.name


class ConsentStatus(enum.StrEnum):
    VALID = "valid"
    EXPIRING = "expiring"
    EXPIRED = "expired"
    MISSING = "missing"
    WITHDRAWN = "withdrawn"

    @property
    def label(self) -> str:
        return {
            "valid": "Consent valid",
            "expiring": "Consent expiring soon",
            "expired": "Consent expired",
            "missing": "No consent on record",
            "withdrawn": "Consent withdrawn",
        }[self.value]


class ConsentScope(models.TextChoices):
    INTERNAL = "internal", "Internal communication only"
    ORGANIC = "organic", "Website and organic social media"
    ADVERTISING = "advertising", "Paid advertising included"
    ANY = "any", "Any commercial use"


def _portrait_path(avatar: "Avatar", role: str, ext: str) -> str:
    return str(PurePosixPath("portraits") / str(avatar.team_id) / avatar.key.hex / f"{role}.{ext}")


def original_upload_to(avatar: "Avatar", filename: str) -> str:
    ext = PurePosixPath(filename).suffix.lstrip(".").lower() or "bin"
    return _portrait_path(avatar, "original", ext)


def image_upload_to(avatar: "Avatar", filename: str) -> str:
    return _portrait_path(avatar, "portrait", "jpg")


def thumbnail_upload_to(avatar: "Avatar", filename: str) -> str:
    return _portrait_path(avatar, "thumbnail", "jpg")


def consent_document_upload_to(avatar: "Avatar", filename: str) -> str:
    ext = PurePosixPath(filename).suffix.lstrip(".").lower() or "bin"
    return _portrait_path(avatar, "consent", ext)


def _consent_window(today: datetime.date | None) -> tuple[datetime.date, datetime.date]:
    today = today or timezone.localdate()
    return today, today + datetime.timedelta(days=settings.CONSENT_EXPIRY_WARNING_DAYS)


class AvatarQuerySet(models.QuerySet["Avatar"]):
    def with_consent(self, status: ConsentStatus, today: datetime.date | None = None) -> Self:
        """The avatars whose consent_status() is status, decided in the database."""
        today, soon = _consent_window(today)
        if status == ConsentStatus.WITHDRAWN:
            return self.filter(consent_withdrawn_at__isnull=False)
        standing = self.filter(consent_withdrawn_at__isnull=True)
        missing = (
            models.Q(consent_person="")
            | models.Q(consent_scope="")
            | models.Q(consent_expires__isnull=True)
        )
        if status == ConsentStatus.MISSING:
            return standing.filter(missing)
        recorded = standing.exclude(missing)
        if status == ConsentStatus.EXPIRED:
            return recorded.filter(consent_expires__lt=today)
        if status == ConsentStatus.EXPIRING:
            return recorded.filter(consent_expires__range=(today, soon))
        return recorded.filter(consent_expires__gt=soon)


class Avatar(TeamAsset):
    """A portrait of a person who agreed to be rendered, within the scope they agreed to."""

    key = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    name = models.CharField(max_length=100)
    original = models.FileField(upload_to=original_upload_to, max_length=200, editable=False)
    image = models.ImageField(upload_to=image_upload_to, max_length=200, editable=False)
    thumbnail = models.ImageField(upload_to=thumbnail_upload_to, max_length=200, editable=False)
    original_format = models.CharField(max_length=10, editable=False)
    width = models.PositiveIntegerField(editable=False)
    height = models.PositiveIntegerField(editable=False)
    sha256 = models.CharField("SHA-256", max_length=64, editable=False)
    consent_person = models.CharField(
        "person portrayed", max_length=200, blank=True, help_text="Whose likeness this is."
    )
    consent_scope = models.CharField(
        "consent scope", max_length=20, choices=ConsentScope.choices, blank=True
    )
    consent_expires = models.DateField("consent expires", null=True, blank=True)
    consent_reference = models.CharField(
        max_length=200,
        blank=True,
        help_text="Where the signed release is kept, e.g. a contract number or document link.",
    )
    consent_document = models.FileField(
        "signed release",
        upload_to=consent_document_upload_to,
        max_length=200,
        blank=True,
        help_text="The signed release itself: a PDF, JPEG, PNG or WebP file.",
    )
    # Withdrawal is final for this likeness: nothing renders it again.
    consent_withdrawn_at = models.DateTimeField(null=True, blank=True, editable=False)
    consent_withdrawn_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        editable=False,
    )
    # Whether a face was found in the portrait on upload; None: not checked, or could not be.
    face_found = models.BooleanField(null=True, editable=False)
    tags = models.ManyToManyField(Tag, blank=True, related_name="avatars")

    objects = AvatarQuerySet.as_manager()

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint("team", "sha256", name="avatar_portrait_unique_per_team")
        ]

    def __str__(self) -> str:
        return self.name

    def consent_status(self, today: datetime.date | None = None) -> ConsentStatus:
        today, soon = _consent_window(today)
        if self.consent_withdrawn_at is not None:
            return ConsentStatus.WITHDRAWN
        if not (self.consent_person and self.consent_scope and self.consent_expires):
            return ConsentStatus.MISSING
        if self.consent_expires < today:
            return ConsentStatus.EXPIRED
        if self.consent_expires <= soon:
            return ConsentStatus.EXPIRING
        return ConsentStatus.VALID

    @property
    def has_valid_consent(self) -> bool:
        return self.consent_status() in (ConsentStatus.VALID, ConsentStatus.EXPIRING)

    def consent_summary(self, today: datetime.date | None = None) -> str:
        """The consent in one line: "Consent expired on 31 Jan 2025"."""
        status = self.consent_status(today)
        if status == ConsentStatus.WITHDRAWN and self.consent_withdrawn_at:
            return f"{status.label} on {timezone.localtime(self.consent_withdrawn_at):%-d %b %Y}"
        if status == ConsentStatus.MISSING or not self.consent_expires:
            return status.label
        day = f"{self.consent_expires:%-d %b %Y}"
        return {
            ConsentStatus.VALID: f"Consent valid until {day}",
            ConsentStatus.EXPIRING: f"Consent expires soon, on {day}",
            ConsentStatus.EXPIRED: f"Consent expired on {day}",
        }[status]


class ConsentReminder(models.Model):
    """A reminder sent that an avatar's consent ends in `days` days: the key that sends it
    once. A new expiry date (consent renewed) is reminded of again."""

    avatar = models.ForeignKey(Avatar, on_delete=models.CASCADE, related_name="consent_reminders")
    days = models.PositiveSmallIntegerField()
    expires = models.DateField()
    sent_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint("avatar", "days", "expires", name="consent_reminder_once")
        ]

    def __str__(self) -> str:
        return f"{self.avatar}: consent ends in {self.days} days"


class Voice(TeamAsset):
    """A provider voice in a language, with the speaking style the team likes for it."""

    name = models.CharField(max_length=100)
    speaker = models.CharField(max_length=20, choices=catalog.SPEAKER_CHOICES)
    language = models.CharField(max_length=8, choices=catalog.LANGUAGE_CHOICES)
    style_prompt = models.CharField(
        max_length=300,
        blank=True,
        help_text=f"How to speak, not spoken. Empty means “{catalog.DEFAULT_VOICE_PROMPT}”",
    )

    class Meta:
        ordering = ["name"]
        constraints = [models.UniqueConstraint("team", "name", name="voice_name_unique_per_team")]

    def __str__(self) -> str:
        return self.name

    @property
    def provider_voice(self) -> str:
        return catalog.SPEAKERS[self.speaker].label


class Script(TeamAsset):
    """Text to speak. Every change of its text is kept as a ScriptRevision."""

    title = models.CharField(max_length=200)
    language = models.CharField(max_length=8, choices=catalog.LANGUAGE_CHOICES, default="en-US")
    text = models.TextField()

    class Meta:
        ordering = ["title"]
        constraints = [
            models.UniqueConstraint("team", "title", name="script_title_unique_per_team")
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def variables(self) -> list[str]:
        return scripts.variables(self.text)

    @property
    def estimated_seconds(self) -> float:
        return scripts.estimated_seconds(self.text, self.language)


class ScriptRevision(models.Model):
    script = models.ForeignKey(Script, on_delete=models.CASCADE, related_name="revisions")
    number = models.PositiveIntegerField()
    language = models.CharField(max_length=8, choices=catalog.LANGUAGE_CHOICES)
    text = models.TextField()
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["script", "-number"]
        constraints = [
            models.UniqueConstraint("script", "number", name="script_revision_number_unique")
        ]

    def __str__(self) -> str:
        return f"{self.script} · revision {self.number}"


def audio_upload_to(clip: "AudioClip", filename: str) -> str:
    ext = PurePosixPath(filename).suffix.lstrip(".").lower()
    return str(PurePosixPath("audio") / str(clip.team_id) / f"{clip.key.hex}.{ext}")


class AudioClip(TeamAsset):
    """An uploaded recording, decoded once on upload to measure it."""

    key = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    title = models.CharField(max_length=200)
    file = models.FileField(upload_to=audio_upload_to, max_length=200, editable=False)
    format = models.CharField(max_length=10, editable=False)
    duration_seconds = models.FloatField(editable=False)
    sample_rate = models.PositiveIntegerField(editable=False)
    channels = models.PositiveSmallIntegerField(editable=False)
    size_bytes = models.PositiveBigIntegerField(editable=False)
    sha256 = models.CharField("SHA-256", max_length=64, editable=False)

    class Meta:
        ordering = ["title"]
        constraints = [models.UniqueConstraint("team", "title", name="audio_title_unique_per_team")]

    def __str__(self) -> str:
        return self.title
