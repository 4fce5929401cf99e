"""The review decision as a form, so that what is wrong with it shows by the field it is about."""

from __future__ import annotations

from typing import Any

from django import forms

from avatars import review

PLACEHOLDER = "What should change? (needed to reject or ask for changes)"


class ReviewForm(forms.Form):
    # Set by the button pressed: Approve, Request changes or Reject.
    decision = forms.CharField(required=False)
    comment = forms.CharField(
        required=False,
        max_length=2000,
        label="Comment",
        widget=forms.Textarea(attrs={"rows": 2, "placeholder": PLACEHOLDER}),
    )

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data
        problems = review.decision_problems(data.get("decision", ""), data.get("comment", ""))
        for name, message in problems.items():
            self.add_error(name, message)
        return data
