"""Forms for creating tokens in the web UI."""

import datetime

from django import forms
from django.utils import timezone

# The scopes the UI offers: those that matter to a package registry (GitLab's wording).
PERSONAL_SCOPE_CHOICES = [
    ("api", "api — read and write: publish packages with twine or uv"),
    ("read_api", "read_api — read only: install packages with pip or uv"),
]
DEPLOY_SCOPE_CHOICES = [
    ("read_package_registry", "read_package_registry — install packages"),
    ("write_package_registry", "write_package_registry — publish and delete packages"),
]
MAX_LIFETIME = datetime.timedelta(days=365)


class _TokenForm(forms.Form):
    name = forms.CharField(max_length=255, help_text="What the token is for, e.g. “CI publish”.")
    expires_at = forms.DateField(
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text="Leave empty for a year from today.",
    )

    def clean_expires_at(self) -> datetime.date | None:
        # Always a date here; DeployTokenForm may leave it empty.
        today = timezone.localdate()
        expires_at = self.cleaned_data["expires_at"] or today + MAX_LIFETIME
        if expires_at <= today:
            raise forms.ValidationError("Pick a date after today.")
        if expires_at > today + MAX_LIFETIME:
            raise forms.ValidationError("A token can live at most 365 days.")
        return expires_at


class PersonalAccessTokenForm(_TokenForm):
    scopes = forms.MultipleChoiceField(
        choices=PERSONAL_SCOPE_CHOICES, widget=forms.CheckboxSelectMultiple
    )


class DeployTokenForm(_TokenForm):
    username = forms.CharField(
        max_length=255, required=False,
        help_text="Leave empty for gitlab+deploy-token-<id>. Any username works with the token.",
    )
    scopes = forms.MultipleChoiceField(
        choices=DEPLOY_SCOPE_CHOICES, widget=forms.CheckboxSelectMultiple
    )

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.fields["expires_at"].help_text = "Leave empty for a token that never expires."

    def clean_expires_at(self) -> datetime.date | None:
        # GitLab's deploy tokens live until revoked unless given a date.
        if self.cleaned_data["expires_at"] is None:
            return None
        return super().clean_expires_at()

    def expiry_datetime(self) -> datetime.datetime | None:
        """Deploy tokens expire at an instant: the start of the chosen day, in UTC."""
        day = self.cleaned_data["expires_at"]
        if day is None:
            return None
        return datetime.datetime.combine(day, datetime.time.min, tzinfo=datetime.UTC)
