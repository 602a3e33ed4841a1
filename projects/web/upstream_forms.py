"""The upstream proxy's settings as web forms (issue 11): a group's overrides on its settings
page, the instance's on the admins' page.

Lists are typed one entry a line and kept as the REST API keeps them; a blocklist line goes
through the same rule parser as the API (projects.upstream_rules), so a bad rule is an error
next to the field, never a 500 and never a rule the proxy would ignore.
"""

from typing import Any

from django import forms

from projects.models import ApplicationSettings, Group
from projects.upstream_rules import InvalidRule, parse_rule, split_lines

# The REST API's bounds (projects/api/upstream_fields.py).
MAX_AGE_HOURS = 24 * 365
MAX_ENTRY_LENGTH = 255

_INHERIT = "Inherit: as the parent group, or the instance, decides"
MODE_CHOICES = [
    ("redirect", "Redirect: answer 302 to the upstream index, as GitLab does"),
    ("proxy", "Proxy: serve the upstream's pages and files through this registry, cached"),
]
ON_OFF_INHERIT = [("", _INHERIT), ("true", "On"), ("false", "Off")]
# Model field -> form field, for the fields a group and the instance share.
_SHARED = {
    "pypi_package_requests_forwarding_mode": "forwarding_mode",
    "pypi_upstream_min_release_age_hours": "min_release_age_hours",
    "pypi_upstream_age_exemptions": "age_exemptions",
    "pypi_upstream_blocklist": "blocklist",
    "pypi_upstream_allowlist_only": "allowlist_only",
    "pypi_upstream_allowlist": "allowlist",
}


def _tri_state(value: str) -> bool | None:
    return {"true": True, "false": False}.get(value)


def _shown(value: bool | None) -> str:
    return {None: "", True: "true", False: "false"}[value]


def _lines(text: str) -> str:
    """One entry a line, as the API stores a JSON list."""
    return "\n".join(line.strip() for line in text.splitlines() if line.strip())


def _list_field(label: str, help_text: str) -> forms.CharField:
    return forms.CharField(
        required=False, label=label, help_text=help_text,
        widget=forms.Textarea(attrs={"rows": 3, "spellcheck": "false"}),
    )


def _check_lengths(text: str) -> None:
    for line in split_lines(text):
        if len(line) > MAX_ENTRY_LENGTH:
            raise forms.ValidationError(
                f"{line[:40]!r}…: an entry has at most {MAX_ENTRY_LENGTH} characters")


class _UpstreamPolicyFields(forms.Form):
    """What a group and the instance both set: the lists, checked as the API checks them."""

    age_exemptions = _list_field(
        "Exempt from the minimum release age",
        "Package names, one a line: their new releases are served at once (urgent fixes).")
    blocklist = _list_field(
        "Blocklist",
        "One rule a line: a name (evil-pkg), a requirement (requests==2.99.0, foo>=3) or a "
        "name glob (tensorfl0w*). Matching upstream files are never served.")
    allowlist = _list_field(
        "Allowlist", "Package names, one a line: with the allowlist on, only these are proxied.")

    def clean_blocklist(self) -> str:
        text = _lines(self.cleaned_data["blocklist"])
        _check_lengths(text)
        errors = []
        for line in split_lines(text):
            try:
                parse_rule(line)
            except InvalidRule as error:
                # packaging's message goes on to repeat the line with a caret under it:
                # on a page, the first line says it.
                errors.append(forms.ValidationError(f"Invalid rule {str(error).splitlines()[0]}"))
        if errors:
            raise forms.ValidationError(errors)
        return text

    def clean_allowlist(self) -> str:
        text = _lines(self.cleaned_data["allowlist"])
        _check_lengths(text)
        return text

    def clean_age_exemptions(self) -> str:
        text = _lines(self.cleaned_data["age_exemptions"])
        _check_lengths(text)
        return text

    def upstream_changes(self) -> dict[str, Any]:
        """The cleaned values under the model's (and the services') field names."""
        data = self.cleaned_data
        return {model: data[form] for model, form in _SHARED.items()}


class GroupUpstreamFields(_UpstreamPolicyFields):
    """A group's overrides: blank or "Inherit" takes the parent's (then the instance's)."""

    forwarding_mode = forms.ChoiceField(
        choices=[("", _INHERIT), *MODE_CHOICES], required=False, widget=forms.RadioSelect,
        label="Forwarding mode (PyPI)",
        help_text="What a forwarded miss gets. Names that exist anywhere in this group's "
                  "top-level group are never forwarded, whatever the mode.",
    )
    min_release_age_hours = forms.IntegerField(
        min_value=0, max_value=MAX_AGE_HOURS, required=False,
        label="Minimum release age of upstream files (hours)",
        help_text="Upstream files younger than this are left out (0: off). Blank: inherit.",
    )
    allowlist_only = forms.ChoiceField(
        choices=ON_OFF_INHERIT, required=False, widget=forms.RadioSelect,
        label="Proxy only names on the allowlist",
    )
    field_order = ["forwarding_mode", "min_release_age_hours", "age_exemptions", "blocklist",
                   "allowlist_only", "allowlist"]

    @staticmethod
    def initial_for(group: Group) -> dict[str, object]:
        return {
            "forwarding_mode": group.pypi_package_requests_forwarding_mode or "",
            "min_release_age_hours": group.pypi_upstream_min_release_age_hours,
            "age_exemptions": group.pypi_upstream_age_exemptions,
            "blocklist": group.pypi_upstream_blocklist,
            "allowlist_only": _shown(group.pypi_upstream_allowlist_only),
            "allowlist": group.pypi_upstream_allowlist,
        }

    def upstream_changes(self) -> dict[str, Any]:
        changes = super().upstream_changes()
        changes["pypi_package_requests_forwarding_mode"] = (
            changes["pypi_package_requests_forwarding_mode"] or None)
        changes["pypi_upstream_allowlist_only"] = _tri_state(
            changes["pypi_upstream_allowlist_only"])
        return changes

    # Lists add up down the tree (packages_pypi.upstream.config): say so where they are typed.
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for name in ("age_exemptions", "blocklist", "allowlist"):
            self.fields[name].help_text += " Added to the parent groups' and the instance's."


class InstanceUpstreamForm(_UpstreamPolicyFields):
    """The instance's upstream settings (GitLab's Admin Area > Settings > Package Registry)."""

    forwarding = forms.TypedChoiceField(
        choices=[("true", "Forward: send a name missing here to the upstream index"),
                 ("false", "Do not forward: a missing name is a 404")],
        coerce=lambda value: value == "true", widget=forms.RadioSelect,
        label="Package forwarding (PyPI)",
        help_text="Groups may override this; names private in a top-level group never go "
                  "upstream.",
    )
    forwarding_mode = forms.ChoiceField(choices=MODE_CHOICES, widget=forms.RadioSelect,
                                        label="Forwarding mode")
    offline = forms.TypedChoiceField(
        choices=[("false", "Online: fetch from the upstream index when needed"),
                 ("true", "Offline: serve upstream packages from the cache only")],
        coerce=lambda value: value == "true", widget=forms.RadioSelect,
        label="Upstream index",
    )
    min_release_age_hours = forms.IntegerField(
        min_value=0, max_value=MAX_AGE_HOURS,
        label="Minimum release age of upstream files (hours)",
        help_text="Upstream files younger than this are left out, and so are files without "
                  "an upload time (0: off).",
    )
    allowlist_only = forms.TypedChoiceField(
        choices=[("false", "Off"), ("true", "On")], coerce=lambda value: value == "true",
        widget=forms.RadioSelect, label="Proxy only names on the allowlist",
    )
    field_order = ["forwarding", "forwarding_mode", "offline", "min_release_age_hours",
                   "age_exemptions", "blocklist", "allowlist_only", "allowlist"]

    @staticmethod
    def initial_for(app_settings: ApplicationSettings) -> dict[str, object]:
        initial: dict[str, object] = {
            form: getattr(app_settings, model) for model, form in _SHARED.items()}
        initial["allowlist_only"] = _shown(app_settings.pypi_upstream_allowlist_only)
        initial["forwarding"] = _shown(app_settings.pypi_package_requests_forwarding)
        initial["offline"] = _shown(app_settings.pypi_upstream_offline)
        return initial

    def upstream_changes(self) -> dict[str, Any]:
        return super().upstream_changes() | {
            "pypi_package_requests_forwarding": self.cleaned_data["forwarding"],
            "pypi_upstream_offline": self.cleaned_data["offline"],
        }
