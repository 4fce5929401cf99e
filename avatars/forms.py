"""Forms for the asset library and render requests, shared by the admin and the studio pages."""

from pathlib import PurePosixPath
from typing import Any, cast

from django import forms
from django.conf import settings
from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db.models import QuerySet
from django.db.models.fields.files import FieldFile
from django.urls import reverse
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString

from avatars import (
    access,
    catalog,
    credits,
    drafts,
    faces,
    media,
    providers,
    render,
    routing,
    scripts,
)
from avatars.library import attach_audio, attach_portrait
from avatars.media_urls import media_url
from avatars.models import AudioClip, Avatar, RenderJob, Script, ScriptRevision, Tag, Team, Voice
from avatars.models.jobs import RESOLUTION_CHOICES

MAX_TAGS = 20


def model_choices(form: forms.BaseForm, name: str) -> forms.ModelChoiceField:
    """A form's field of rows to choose from, typed as one (`fields` holds plain Fields)."""
    return cast(forms.ModelChoiceField, form.fields[name])


def offer_member_teams(form: forms.BaseForm, user: access.AnyUser) -> None:
    """Offer only the teams the user works in, their only one pre-selected."""
    team = model_choices(form, "team")
    team.queryset = access.member_teams(user)
    team.initial = access.only_team(user)


def parse_tags(text: str) -> list[str]:
    """Comma-separated tag names, trimmed, without case-insensitive repeats."""
    names: dict[str, str] = {}
    for raw in text.split(","):
        name = " ".join(raw.split())
        if name:
            names.setdefault(name.casefold(), name)
    return list(names.values())


CONSENT_FIELDS = [
    "consent_person",
    "consent_scope",
    "consent_expires",
    "consent_reference",
    "consent_document",
]


class _SignedFile:
    """A stored file as ClearableFileInput shows it: its name, and an expiring link to it."""

    def __init__(self, file: FieldFile) -> None:
        self.name = PurePosixPath(file.name or "").name
        self.url = media_url(file, download=self.name)

    def __str__(self) -> str:
        return self.name


class SignedFileInput(forms.ClearableFileInput):
    """Media is private: the file on record is linked by an expiring link, not its storage URL
    (which for local files nothing serves)."""

    def format_value(self, value: Any) -> Any:
        if isinstance(value, FieldFile) and value:
            return _SignedFile(value)
        return super().format_value(value)


CONSENT_WIDGETS = {
    "consent_expires": forms.DateInput(attrs={"type": "date"}),
    "consent_document": SignedFileInput(
        attrs={"accept": "application/pdf,image/jpeg,image/png,image/webp"}
    ),
}


class ConsentDocumentMixin(forms.ModelForm):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        limit = settings.CONSENT_DOCUMENT_MAX_BYTES / 1_000_000
        # The admin's read-only view builds the form without its fields.
        if "consent_document" in self.fields:
            self.fields["consent_document"].help_text = (
                f"The signed release itself: a PDF, or a JPEG, PNG or WebP photo of it, at "
                f"most {limit:g} MB."
            )

    def clean_consent_document(self) -> Any:
        upload = self.cleaned_data.get("consent_document")
        if isinstance(upload, UploadedFile):
            return media.check_consent_document(upload)
        return upload


class ConsentForm(ConsentDocumentMixin):
    """The consent on record for an avatar, as its studio page edits it."""

    class Meta:
        model = Avatar
        fields = CONSENT_FIELDS
        widgets = CONSENT_WIDGETS


class TagsForm(forms.Form):
    tag_names = forms.CharField(
        label="Tags", required=False, help_text="Separate tags with commas, e.g. “sales, EMEA”."
    )

    def clean_tag_names(self) -> list[str]:
        return clean_tag_names(self.cleaned_data["tag_names"])


def clean_tag_names(text: str) -> list[str]:
    names = parse_tags(text)
    if len(names) > MAX_TAGS:
        raise ValidationError(f"An avatar can have at most {MAX_TAGS} tags.")
    too_long = [name for name in names if len(name) > 40]
    if too_long:
        raise ValidationError(f"“{too_long[0][:60]}” is longer than 40 characters.")
    return names


def set_tags(avatar: Avatar, names: list[str]) -> None:
    """Give the avatar exactly these tags, reusing the team's tags whatever their case."""
    existing = {tag.name.casefold(): tag for tag in Tag.objects.filter(team=avatar.team_id)}
    tags = [
        existing.get(name.casefold()) or Tag.objects.create(team_id=avatar.team_id, name=name)
        for name in names
    ]
    avatar.tags.set(tags)


class AvatarForm(ConsentDocumentMixin):
    portrait = forms.FileField(
        help_text="A JPEG, PNG or WebP photo of one person facing the camera, at least 256×256 "
        "pixels and at most 15 MB.",
        widget=forms.ClearableFileInput(attrs={"accept": "image/jpeg,image/png,image/webp"}),
    )
    tag_names = forms.CharField(
        label="Tags", required=False, help_text="Separate tags with commas, e.g. “sales, EMEA”."
    )

    class Meta:
        model = Avatar
        fields = ["team", "name", *CONSENT_FIELDS, "archived"]
        widgets = CONSENT_WIDGETS

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.prepared: media.PreparedPortrait | None = None
        if self.instance.pk:
            # A stored portrait is never replaced: past renders must keep the face they used.
            del self.fields["portrait"]
            self.fields["tag_names"].initial = ", ".join(t.name for t in self.instance.tags.all())

    def clean_portrait(self) -> UploadedFile:
        upload = self.cleaned_data["portrait"]
        self.prepared = media.prepare_portrait(upload)
        return upload

    def clean_tag_names(self) -> list[str]:
        return clean_tag_names(self.cleaned_data["tag_names"])

    def clean(self) -> dict[str, Any]:
        super().clean()
        cleaned = self.cleaned_data
        team = cleaned.get("team")
        if self.prepared and team:
            twin = Avatar.objects.filter(team=team, sha256=self.prepared.sha256).first()
            if twin:
                where = " (archived)" if twin.archived else ""
                self.add_error(
                    "portrait",
                    f"This portrait is already in {team}'s library as “{twin.name}”{where}.",
                )
        return cleaned

    def save(self, commit: bool = True) -> Avatar:
        avatar = super().save(commit=False)
        if self.prepared:
            attach_portrait(avatar, self.prepared)
            # A warning only (consent.upload_warnings): some good portraits fool the detector.
            avatar.face_found = faces.face_found(self.prepared.image)
        if commit:
            avatar.save()
            self._save_m2m()
        return avatar

    # django-stubs leaves out BaseModelForm._save_m2m, which save() and save_m2m() both call.
    def _save_m2m(self) -> None:
        super()._save_m2m()  # type: ignore[misc]
        set_tags(self.instance, self.cleaned_data["tag_names"])


class AudioClipForm(forms.ModelForm):
    recording = forms.FileField(
        help_text="A WAV, MP3 or FLAC recording of speech, at most 5 minutes.",
        widget=forms.ClearableFileInput(attrs={"accept": ".wav,.mp3,.flac,audio/*"}),
    )

    class Meta:
        model = AudioClip
        fields = ["team", "title", "archived"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.prepared: media.PreparedAudio | None = None
        if self.instance.pk:
            del self.fields["recording"]

    def clean_recording(self) -> UploadedFile:
        upload = self.cleaned_data["recording"]
        self.prepared = media.prepare_audio(upload)
        return upload

    def clean(self) -> dict[str, Any]:
        super().clean()
        cleaned = self.cleaned_data
        team = cleaned.get("team")
        if self.prepared and team:
            twin = AudioClip.objects.filter(team=team, sha256=self.prepared.sha256).first()
            if twin:
                self.add_error(
                    "recording", f"This recording is already in {team}'s library as “{twin.title}”."
                )
        return cleaned

    def save(self, commit: bool = True) -> AudioClip:
        clip = super().save(commit=False)
        if self.prepared:
            attach_audio(clip, self.prepared, self.cleaned_data["recording"])
        if commit:
            clip.save()
        return clip


class ScriptForm(forms.ModelForm):
    class Meta:
        model = Script
        fields = ["team", "title", "language", "text", "archived"]
        widgets = {"text": forms.Textarea(attrs={"rows": 10})}

    def clean_text(self) -> str:
        text = self.cleaned_data["text"]
        scripts.validate_text(text)
        return text


class StudioScriptForm(ScriptForm):
    """A script written or edited in the studio. Its team is chosen only when it is new.

    `based_on` is the revision the editor started from: a save after someone else's revision
    is refused once, so it never silently undoes their change.
    """

    based_on = forms.IntegerField(required=False, widget=forms.HiddenInput)

    class Meta(ScriptForm.Meta):
        fields = ["team", "title", "language", "text"]
        widgets = {"text": forms.Textarea(attrs={"rows": 12})}
        help_texts = {
            "text": "Write {{first_name}} (two braces, a name of letters, digits and "
            "underscores) where each render fills in its own value."
        }

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.latest = None
        if self.instance.pk:
            del self.fields["team"]
            self.latest = self.instance.revisions.select_related("author").first()
            self.fields["based_on"].initial = self.latest.number if self.latest else None
        else:
            del self.fields["based_on"]
            offer_member_teams(self, user)

    def clean(self) -> dict[str, Any]:
        super().clean()
        cleaned = self.cleaned_data
        team = cleaned.get("team") if "team" in self.fields else self.instance.team
        title = cleaned.get("title")
        twins = Script.objects.filter(team=team, title=title).exclude(pk=self.instance.pk)
        if team and title and twins.exists():
            self.add_error("title", f"{team} already has a script called “{title}”.")
        latest = self.latest
        if latest and "based_on" in cleaned and cleaned["based_on"] != latest.number:
            who = latest.author.get_username() if latest.author else "Someone"
            self.add_error(
                None,
                f"{who} saved revision {latest.number} while you were editing. Your text is "
                "still below: compare it with theirs on the script's page, then save again "
                "to keep yours.",
            )
            # Saving again means "keep mine": the next save is based on their revision.
            self.data = {**self.data, "based_on": str(latest.number)}
        return cleaned


class RevisionChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return f"Revision {obj.number} · {obj.created_at:%-d %b %Y %H:%M}"


class AvatarSelect(forms.Select):
    """The avatars on offer, those that cannot be rendered greyed out with why."""

    def create_option(self, *args: Any, **kwargs: Any) -> dict[str, Any]:
        option = super().create_option(*args, **kwargs)
        avatar = getattr(option["value"], "instance", None)
        if isinstance(avatar, Avatar) and (why := render.avatar_unavailable(avatar)):
            option["attrs"]["disabled"] = True
            option["label"] = f"{option['label']} ({lower_first(why)})"
        return option


def lower_first(text: str) -> str:
    """ "Consent expired on 31 Jan 2025" within a sentence."""
    return text[:1].lower() + text[1:]


def avatar_page_link(avatar: Avatar, text: str) -> SafeString:
    return format_html('<a href="{}">{}</a>', reverse("studio:avatar", args=[avatar.pk]), text)


def unrenderable_help(avatars: list[Avatar]) -> SafeString:
    """Which avatars are greyed out, each linked to the page where its consent is recorded."""
    blocked = [(a, render.avatar_unavailable(a)) for a in avatars if render.avatar_unavailable(a)]
    if not blocked:
        return SafeString("")
    return format_html(
        "Greyed out until their consent is recorded on their page: {}.",
        format_html_join(
            ", ", "{} ({})", ((avatar_page_link(a, a.name), lower_first(why)) for a, why in blocked)
        ),
    )


class RenderRequestForm(forms.Form):
    """A render request: the inputs of one video, limited to the requester's teams.

    The one form behind the admin's request page, the studio's New render and the review
    desk's re-render: `send()` requests the render, `page_context()` is what the page shows
    beside the form (the teams' budgets, the prices its script estimates with).
    """

    team = forms.ModelChoiceField(queryset=Team.objects.none())
    avatar = forms.ModelChoiceField(queryset=Avatar.objects.none(), widget=AvatarSelect)
    script = forms.ModelChoiceField(queryset=Script.objects.none(), required=False)
    script_revision = RevisionChoiceField(
        queryset=ScriptRevision.objects.none(),
        required=False,
        label="Revision",
        empty_label="The latest revision",
        help_text="An earlier revision of the script, to render it as it was then.",
    )
    voice = forms.ModelChoiceField(queryset=Voice.objects.none(), required=False)
    audio_clip = forms.ModelChoiceField(
        queryset=AudioClip.objects.none(),
        required=False,
        help_text="Instead of a script and voice: the avatar speaks this recording.",
    )
    variables = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 3, "placeholder": "first_name=Ada"}),
        help_text="The script's {{variables}}, one per line as name=value.",
    )
    resolution = forms.ChoiceField(choices=RESOLUTION_CHOICES, initial="720p")
    seed = forms.IntegerField(
        required=False,
        min_value=0,
        max_value=2**31 - 1,
        help_text="A number that fixes the render's randomness: the same seed with the same "
        "avatar, speech and options gives the same video again, where the provider supports "
        "it. Leave it empty for a new take each time.",
    )
    video_prompt = forms.CharField(
        required=False, max_length=500, help_text=f"Empty means “{catalog.DEFAULT_VIDEO_PROMPT}”"
    )
    provider = forms.ChoiceField(
        required=False,
        help_text="If it is unavailable, the render moves along the team's fallback list.",
    )

    def __init__(
        self,
        *args: Any,
        user: User,
        draft: bool = False,
        team: Team | None = None,
        **kwargs: Any,
    ) -> None:
        """`team` keeps the request in that one team (a new version of one of its videos)."""
        super().__init__(*args, **kwargs)
        # A draft renders in the sandbox whatever provider is chosen for the real render.
        self.draft = draft
        self.user = user
        teams = access.member_teams(user)
        if team is None:
            offer_member_teams(self, user)
            self.teams: QuerySet[Team] | list[Team] = teams
        else:
            model_choices(self, "team").queryset = teams.filter(pk=team.pk)
            self.teams = [team]
        usable = {"team__in": teams, "archived": False}
        self.scripts = Script.objects.filter(**usable)
        self.clips = AudioClip.objects.filter(**usable)
        self.providers = [
            ("", "The team's preferred provider"),
            *((name, catalog.PROVIDER_LABELS[name]) for name in providers.configured_providers()),
        ]
        avatars = Avatar.objects.filter(**usable).select_related("team")
        model_choices(self, "avatar").queryset = avatars
        self.fields["avatar"].help_text = unrenderable_help(list(avatars))
        model_choices(self, "script").queryset = self.scripts
        self.voices = Voice.objects.filter(**usable)
        model_choices(self, "voice").queryset = self.voices
        model_choices(self, "audio_clip").queryset = self.clips
        cast(forms.ChoiceField, self.fields["provider"]).choices = self.providers
        self._offer_revisions()

    def _offer_revisions(self) -> None:
        """The revisions of the script asked for (from its page's "render this revision"),
        none when no script is: a list of every revision of every script helps nobody."""
        chosen = str((self.data if self.is_bound else self.initial).get("script") or "")
        self.revisions = ScriptRevision.objects.none()
        if not chosen.isdigit():
            del self.fields["script_revision"]
            return
        self.revisions = ScriptRevision.objects.filter(
            script__in=self.scripts, script_id=int(chosen)
        )
        model_choices(self, "script_revision").queryset = self.revisions

    @staticmethod
    def initial_from(job: RenderJob) -> dict[str, Any]:
        """The inputs of `job`, to start a new version of it from."""
        return {
            "team": job.team_id,
            "avatar": job.avatar_id,
            "script": job.script_revision.script_id if job.script_revision else None,
            "voice": job.voice_id,
            "audio_clip": job.audio_clip_id,
            "variables": "\n".join(f"{k}={v}" for k, v in job.variables.items()),
            "resolution": job.resolution,
            "seed": job.seed,
            "video_prompt": job.video_prompt,
            "provider": job.provider,
        }

    def send(self, *, parent: RenderJob | None = None) -> RenderJob | None:
        """Request the render (the free draft, for a draft form) if the form is valid.

        None when the form is unbound, invalid or refused (the budget, say): the reasons are
        then on its fields, for the page to show again.
        """
        if not self.is_valid():
            return None
        try:
            if self.draft:
                return drafts.request_draft(self.render_request())
            return render.request_render(self.render_request(), parent=parent)
        except render.RenderRequestError as refused:
            self._show_refusal(refused.errors)
            return None

    def page_context(self) -> dict[str, Any]:
        """The form with what its page shows beside it."""
        return {
            "form": self,
            "budgets": self.budgets(),
            "pricing": self.pricing(),
            "checks": self.checks(),
        }

    def budgets(self) -> list[credits.BudgetStatus]:
        return [credits.budget_status(team) for team in self.teams]

    def pricing(self) -> dict[str, Any]:
        """What the page's script (avatars/estimate.js) needs to show the estimate as the
        person picks: the provider each team's "preferred provider" means, the price per
        second of each provider and resolution, which providers are free drafts, and the
        length of each script and clip on offer."""
        preferred = {str(team.pk): routing.chosen_provider(team) for team in self.teams}
        names = {name for name, _ in self.providers if name} | set(preferred.values())
        return {
            "preferred": preferred,
            "prices": {
                name: {res: str(credits.price_per_second(name, res)) for res in ("720p", "1080p")}
                for name in sorted(names)
            },
            "free": {n: catalog.PROVIDER_LABELS[n] for n in names if credits.is_free(n)},
            "scripts": {str(script.pk): script.estimated_seconds for script in self.scripts},
            "revisions": {
                str(revision.pk): scripts.estimated_seconds(revision.text, revision.language)
                for revision in self.revisions
            },
            "clips": {str(clip.pk): clip.duration_seconds for clip in self.clips},
        }

    def checks(self) -> dict[str, Any]:
        """What the page's script (studio/render_checks.js) needs to warn as the person picks,
        as warnings() does on the server: each script's variables and language, each voice's."""
        return {
            "scripts": {
                str(script.pk): {
                    "title": script.title,
                    "variables": script.variables,
                    "language": script.language,
                }
                for script in self.scripts
            },
            "voices": {
                str(voice.pk): {"name": voice.name, "language": voice.language}
                for voice in self.voices
            },
            "revisions": {
                str(revision.pk): {
                    "variables": scripts.variables(revision.text),
                    "language": revision.language,
                }
                for revision in self.revisions
            },
            "languages": {code: language.label for code, language in catalog.LANGUAGES.items()},
        }

    def warnings(self) -> list[str]:
        """What a valid request may still have wrong: values for variables its script does
        not use, a voice that speaks another language than the script."""
        data = self.cleaned_data
        script, voice = data.get("script"), data.get("voice")
        if script is None:
            return []
        revision = data.get("script_revision")
        text, language = (
            (revision.text, revision.language)
            if revision
            else (
                script.text,
                script.language,
            )
        )
        found = [
            f"“{name}” is not a variable of “{script}”, so its value is not used."
            for name in scripts.unused_variables(text, data.get("variables") or {})
        ]
        if voice is not None and (
            said := scripts.language_warning(language, voice.language, voice.name)
        ):
            found.append(said)
        return found

    def _show_refusal(self, errors: dict[str, str]) -> None:
        """A refusal by field, on the field if the form has it, else above the form."""
        avatar = self.cleaned_data.get("avatar")
        for field, message in errors.items():
            if field == "avatar" and avatar and message.endswith(render.CONSENT_FIRST):
                message = format_html(
                    "{} {}",
                    message.removesuffix(render.CONSENT_FIRST).strip(),
                    avatar_page_link(avatar, render.CONSENT_FIRST),
                )
            self.add_error(field if field in self.fields else None, message)

    def clean_variables(self) -> dict[str, str]:
        values = {}
        for line in self.cleaned_data["variables"].splitlines():
            if not line.strip():
                continue
            name, equals, value = line.partition("=")
            if not equals:
                raise ValidationError(f"“{line.strip()}” needs the form name=value.")
            values[name.strip().strip("{}").strip()] = value.strip()
        return values

    def clean_script_revision(self) -> ScriptRevision | None:
        revision = self.cleaned_data["script_revision"]
        script = self.cleaned_data.get("script")
        if revision is not None and (script is None or revision.script_id != script.pk):
            raise ValidationError(
                "That revision is of another script: choose “The latest revision”, or pick "
                "the script again from its page."
            )
        return revision

    def clean(self) -> dict[str, Any]:
        super().clean()
        if not self.errors:
            self._show_refusal(render.validate(self.render_request()))
        return self.cleaned_data

    def render_request(self) -> render.RenderRequest:
        data = self.cleaned_data
        return render.RenderRequest(
            team=data["team"],
            user=self.user,
            avatar=data["avatar"],
            script=data.get("script"),
            voice=data.get("voice"),
            audio_clip=data.get("audio_clip"),
            variables=data.get("variables") or {},
            resolution=data["resolution"],
            seed=data.get("seed"),
            video_prompt=data.get("video_prompt") or "",
            provider=data["provider"],
            draft=self.draft,
            revision=data.get("script_revision"),
        )
