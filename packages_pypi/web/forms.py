"""Forms for the package lifecycle pages: yank, PEP 792 status, protection rules, cleanup."""

from django import forms

from packages_pypi.models import ProjectStatus
from packages_pypi.protection import LEVELS

_LEVEL_CHOICES = [("", "no rule (default)")] + [(name, name.capitalize()) for name in LEVELS]


class YankForm(forms.Form):
    reason = forms.CharField(max_length=255, required=False,
                             help_text="Shown by pip and uv when someone installs it pinned.")


class StatusForm(forms.Form):
    status = forms.ChoiceField(choices=ProjectStatus.choices)
    reason = forms.CharField(max_length=255, required=False)

    def __init__(self, *args: object, may_quarantine: bool, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        if not may_quarantine:
            field = self.fields["status"]
            assert isinstance(field, forms.ChoiceField)
            field.choices = [c for c in ProjectStatus.choices
                             if c[0] != ProjectStatus.QUARANTINED]


class ProtectionRuleForm(forms.Form):
    package_name_pattern = forms.CharField(max_length=255,
                                           help_text="A name, with * for any characters.")
    minimum_access_level_for_push = forms.ChoiceField(choices=_LEVEL_CHOICES, required=False,
                                                      label="Who may push")
    minimum_access_level_for_delete = forms.ChoiceField(choices=_LEVEL_CHOICES, required=False,
                                                        label="Who may delete")

    def levels(self) -> dict[str, int | None]:
        return {field: LEVELS.get(self.cleaned_data[field]) for field in
                ("minimum_access_level_for_push", "minimum_access_level_for_delete")}


class CleanupPolicyForm(forms.Form):
    enabled = forms.BooleanField(required=False, label="Run daily")
    keep_n_versions = forms.IntegerField(min_value=1, max_value=10_000, required=False,
                                         label="Keep the newest versions of each name")
    older_than_days = forms.IntegerField(
        min_value=1, max_value=36_500, required=False,
        label="Remove versions older than (days)",
        help_text="Only those nobody downloaded for as many days.",
    )
