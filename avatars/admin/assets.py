from typing import TYPE_CHECKING, TypedDict, cast

from django.contrib import admin, messages
from django.db.models import Count, QuerySet
from django.forms import ModelForm
from django.http import HttpRequest
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString, mark_safe

from avatars import access, badges, catalog, consent, scripts
from avatars.forms import AudioClipForm, AvatarForm, ScriptForm
from avatars.media_urls import media_url
from avatars.models import AudioClip, Avatar, ConsentStatus, Script, Tag, Voice
from avatars.models.assets import AvatarQuerySet
from avatars.scripts import save_with_revision

from .base import (
    ArchiveActionsMixin,
    StoredFilesMixin,
    TeamOwned,
    TeamScopedAdmin,
    WideListMixin,
)

if TYPE_CHECKING:
    from django_stubs_ext import WithAnnotations

    # What the changelists' querysets annotate their rows with.
    class RevisionTotal(TypedDict):
        revision_total: int

    class AvatarTotal(TypedDict):
        avatar_total: int


class ConsentFilter(admin.SimpleListFilter):
    title = "consent"
    parameter_name = "consent"

    def lookups(self, request: HttpRequest, model_admin: admin.ModelAdmin) -> list[tuple[str, str]]:
        return [(status.value, status.label) for status in ConsentStatus]

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet | None:
        value = self.value()
        if isinstance(queryset, AvatarQuerySet) and value in set(ConsentStatus):
            return queryset.with_consent(ConsentStatus(value))
        return queryset


class TagFilter(admin.SimpleListFilter):
    title = "tag"
    parameter_name = "tag"

    def lookups(self, request: HttpRequest, model_admin: admin.ModelAdmin) -> list[tuple[str, str]]:
        tags = access.scope_to_user(Tag.objects.select_related("team"), request.user)
        many_teams = access.sees_all_teams(request.user)
        return [
            (str(tag.pk), f"{tag.name} ({tag.team})" if many_teams else tag.name) for tag in tags
        ]

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet | None:
        return queryset.filter(tags=self.value()) if self.value() else queryset


@admin.register(Avatar)
class AvatarAdmin(StoredFilesMixin, ArchiveActionsMixin, TeamScopedAdmin):
    form = AvatarForm
    list_display = ["thumbnail_tag", "name", "team", "consent_short", "tag_list", "archived_badge"]
    list_display_links = ["thumbnail_tag", "name"]
    list_filter = [ConsentFilter, TagFilter, "archived", ("team", admin.RelatedOnlyFieldListFilter)]
    search_fields = ["name", "consent_person", "tags__name"]
    actions = ["archive", "unarchive"]
    readonly_fields = ["portrait_preview", "consent_badge", "portrait_facts"]

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        return super().get_queryset(request).prefetch_related("tags")

    def save_model(
        self, request: HttpRequest, obj: TeamOwned, form: ModelForm, change: bool
    ) -> None:
        super().save_model(request, obj, form, change)
        avatar = cast(Avatar, obj)
        user = request.user if request.user.is_authenticated else None
        if change:
            consent.record_change(avatar, user, form.changed_data)
            warnings = [consent.consent_warning(avatar)]
        else:
            warnings = consent.upload_warnings(avatar)
        for warning in filter(None, warnings):
            self.message_user(request, warning, messages.WARNING)

    def get_fieldsets(self, request: HttpRequest, obj: Avatar | None = None) -> list:
        portrait = ["portrait_preview", "portrait_facts"] if obj else ["portrait"]
        return [
            (None, {"fields": ["team", "name", *portrait, "tag_names", "archived"]}),
            (
                "Consent",
                {
                    "fields": [
                        *(["consent_badge"] if obj else []),
                        "consent_person",
                        "consent_scope",
                        "consent_expires",
                        "consent_reference",
                        "consent_document",
                    ],
                    "description": "Renders need consent that covers the use and has not expired.",
                },
            ),
        ]

    @admin.display(description="Portrait")
    def thumbnail_tag(self, avatar: Avatar) -> SafeString:
        return format_html(
            '<img class="thumb" src="{}" alt="{}" loading="lazy">',
            media_url(avatar.thumbnail),
            avatar.name,
        )

    @admin.display(description="Portrait")
    def portrait_preview(self, avatar: Avatar) -> SafeString:
        return format_html(
            '<a href="{}" target="_blank"><img class="portrait" src="{}" alt="{}"></a>',
            media_url(avatar.original),
            media_url(avatar.image),
            avatar.name,
        )

    @admin.display(description="File")
    def portrait_facts(self, avatar: Avatar) -> str:
        return (
            f"{avatar.original_format}, {avatar.width}×{avatar.height} pixels, "
            f"SHA-256 {avatar.sha256[:12]}…"
        )

    @admin.display(description="Consent")
    def consent_badge(self, avatar: Avatar) -> SafeString:
        return badges.consent_badge(avatar, short=False)

    @admin.display(description="Consent", ordering="consent_expires")
    def consent_short(self, avatar: Avatar) -> SafeString:
        return badges.consent_badge(avatar)

    @admin.display(description="Tags")
    def tag_list(self, avatar: Avatar) -> SafeString:
        return format_html_join(
            " ", '<span class="tag">{}</span>', ((t.name,) for t in avatar.tags.all())
        )

    @admin.display(description="Tags")
    def tag_names(self, avatar: Avatar) -> SafeString:
        """The read-only view's stand-in for the form's tag_names field, which a model
        instance has no attribute for."""
        return self.tag_list(avatar) or mark_safe('<span class="quiet">none</span>')


@admin.register(Voice)
class VoiceAdmin(ArchiveActionsMixin, TeamScopedAdmin):
    list_display = ["name", "team", "provider_voice", "language", "style_prompt", "archived_badge"]
    list_filter = ["language", "speaker", "archived", ("team", admin.RelatedOnlyFieldListFilter)]
    search_fields = ["name", "speaker", "style_prompt"]
    fields = ["team", "name", "speaker", "language", "style_prompt", "archived"]
    actions = ["archive", "unarchive"]

    @admin.display(description="Provider voice", ordering="speaker")
    def provider_voice(self, voice: Voice) -> str:
        return voice.provider_voice


@admin.register(Script)
class ScriptAdmin(WideListMixin, ArchiveActionsMixin, TeamScopedAdmin):
    form = ScriptForm
    list_display = [
        "title",
        "team",
        "language",
        "variable_list",
        "estimate",
        "revision_count",
        "updated_at",
        "archived_badge",
    ]
    list_filter = ["language", "archived", ("team", admin.RelatedOnlyFieldListFilter)]
    search_fields = ["title", "text"]
    actions = ["archive", "unarchive"]
    readonly_fields = ["variable_list", "estimate", "revision_history"]

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        return super().get_queryset(request).annotate(revision_total=Count("revisions"))

    def get_fields(self, request: HttpRequest, obj: Script | None = None) -> tuple[str, ...]:
        fields = ("team", "title", "language", "text", "archived")
        return (*fields, "variable_list", "estimate", "revision_history") if obj else fields

    @admin.display(description="Variables")
    def variable_list(self, script: Script) -> SafeString:
        names = script.variables
        if not names:
            return mark_safe('<span class="quiet">none</span>')
        return format_html_join(" ", '<code class="var">{{{{{}}}}}</code>', ((n,) for n in names))

    @admin.display(description="Spoken length")
    def estimate(self, script: Script) -> str:
        return f"≈ {script.estimated_seconds:.0f} s"

    @admin.display(description="Revisions", ordering="revision_total")
    def revision_count(self, script: "WithAnnotations[Script, RevisionTotal]") -> int:
        return script.revision_total

    @admin.display(description="Revision history")
    def revision_history(self, script: Script) -> SafeString:
        revisions = list(script.revisions.select_related("author").order_by("number"))
        rows = []
        for previous, revision in zip([None, *revisions], revisions, strict=False):
            author = revision.author.get_username() if revision.author else "unknown"
            rows.append(
                format_html(
                    "<li><strong>Revision {}</strong> · {} · {} · {}{}</li>",
                    revision.number,
                    author,
                    timezone.localtime(revision.created_at).strftime("%-d %b %Y %H:%M"),
                    catalog.LANGUAGES[revision.language].label,
                    _diff(previous.text if previous else "", revision.text),
                )
            )
        return format_html(
            '<ol class="revisions" reversed>{}</ol>', SafeString("".join(reversed(rows)))
        )

    def save_row(self, request: HttpRequest, obj: TeamOwned, change: bool) -> None:
        user = request.user
        # The Script admin saves nothing but scripts.
        save_with_revision(cast(Script, obj), user if user.is_authenticated else None)


def _diff(before: str, after: str) -> SafeString:
    kept = scripts.changes(before, after)
    if not kept:
        return SafeString("")
    return format_html(
        '<pre class="diff">{}</pre>',
        format_html_join(
            "",
            '<span class="{}">{} {}</span>',
            (("add" if sign == "+" else "del", sign, text) for sign, text in kept),
        ),
    )


@admin.register(AudioClip)
class AudioClipAdmin(StoredFilesMixin, ArchiveActionsMixin, TeamScopedAdmin):
    form = AudioClipForm
    list_display = [
        "title",
        "team",
        "player",
        "length",
        "format",
        "size",
        "created_at",
        "archived_badge",
    ]
    list_filter = ["format", "archived", ("team", admin.RelatedOnlyFieldListFilter)]
    search_fields = ["title"]
    actions = ["archive", "unarchive"]
    readonly_fields = ["player", "length", "facts"]

    def get_fields(self, request: HttpRequest, obj: AudioClip | None = None) -> tuple[str, ...]:
        if obj:
            return ("team", "title", "player", "length", "facts", "archived")
        return ("team", "title", "recording", "archived")

    @admin.display(description="Listen")
    def player(self, clip: AudioClip) -> SafeString:
        return format_html('<audio controls preload="none" src="{}"></audio>', media_url(clip.file))

    @admin.display(description="Length", ordering="duration_seconds")
    def length(self, clip: AudioClip) -> str:
        minutes, seconds = divmod(round(clip.duration_seconds, 1), 60)
        return f"{int(minutes)}:{seconds:04.1f}"

    @admin.display(description="Size", ordering="size_bytes")
    def size(self, clip: AudioClip) -> str:
        return f"{clip.size_bytes / 1024 / 1024:.1f} MB"

    @admin.display(description="Recording")
    def facts(self, clip: AudioClip) -> str:
        channels = {1: "mono", 2: "stereo"}.get(clip.channels, f"{clip.channels} channels")
        return (
            f"{clip.format.upper()}, {clip.sample_rate} Hz, {channels}, SHA-256 {clip.sha256[:12]}…"
        )


@admin.register(Tag)
class TagAdmin(TeamScopedAdmin):
    list_display = ["name", "team", "avatar_count"]
    list_filter = [("team", admin.RelatedOnlyFieldListFilter)]
    search_fields = ["name"]
    fields = ["team", "name"]

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        return super().get_queryset(request).annotate(avatar_total=Count("avatars"))

    @admin.display(description="Avatars", ordering="avatar_total")
    def avatar_count(self, tag: "WithAnnotations[Tag, AvatarTotal]") -> int:
        return tag.avatar_total
