"""The studio's campaign form: the choices and the uploaded list of people."""

from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings

from avatars import access, catalog
from avatars.access import AnyUser
from avatars.forms import model_choices, offer_member_teams
from avatars.models import Avatar, Script, Team, Voice


class CampaignForm(forms.Form):
    team = forms.ModelChoiceField(queryset=Team.objects.none(), empty_label=None)
    name = forms.CharField(max_length=200)
    avatar = forms.ModelChoiceField(
        queryset=Avatar.objects.none(),
        help_text="Who speaks, unless a row names another in an “avatar” column.",
    )
    script = forms.ModelChoiceField(
        queryset=Script.objects.none(),
        help_text="Its current revision is frozen for the whole campaign.",
    )
    voice = forms.ModelChoiceField(
        queryset=Voice.objects.none(),
        help_text="Unless a row names another in a “voice” column.",
    )
    resolution = forms.ChoiceField(choices=[(r, r) for r in catalog.RESOLUTIONS], initial="720p")
    spending_cap = forms.DecimalField(
        label="Spending cap (USD)",
        required=False,
        min_value=0,
        max_digits=12,
        decimal_places=2,
        help_text="Optional: the most this campaign may spend, on top of the team's budget.",
    )
    file = forms.FileField(
        label="List of people",
        help_text="CSV, TSV or Excel (.xlsx), one person a row, a header row naming the "
        "columns: “First Name” fills {{first_name}}.",
    )

    def __init__(self, user: AnyUser, *args: Any, staged: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Creating from the preview: the file was uploaded with it and is kept meanwhile.
        self.fields["file"].required = not staged
        offer_member_teams(self, user)
        teams = access.member_teams(user)
        mine = {"team__in": teams, "archived": False}
        model_choices(self, "avatar").queryset = Avatar.objects.filter(**mine)
        model_choices(self, "script").queryset = Script.objects.filter(**mine)
        model_choices(self, "voice").queryset = Voice.objects.filter(**mine)
        self.fields["file"].widget.attrs["accept"] = ".csv,.tsv,.txt,.xlsx"

    def clean_file(self) -> Any:
        upload = self.cleaned_data["file"]
        if upload is None:
            return upload
        limit = settings.CAMPAIGN_MAX_UPLOAD_BYTES
        if upload.size > limit:
            raise forms.ValidationError(
                f"The file is {upload.size / 1e6:.1f} MB; a list of people can be at most "
                f"{limit / 1e6:.0f} MB. Split it into several campaigns."
            )
        return upload
