"""The web forms for groups, projects and members: what a person types, checked for shape only.

Every rule about what is allowed (paths, visibility under a parent, who may grant which role)
lives in the services and the access policy, which the views call exactly as the API does;
their errors come back onto the form next to the field they name.
"""

from typing import cast

from django import forms
from django.db.models import QuerySet

from projects.models import Group
from projects.roles import AccessLevel, Visibility
from projects.services import NamespaceChanges
from projects.web.upstream_forms import GroupUpstreamFields
from registry.http.exceptions import RegistryError

VISIBILITY_CHOICES = [
    (Visibility.PRIVATE.value, "Private: only members can see it"),
    (Visibility.INTERNAL.value, "Internal: any signed-in user can see it"),
    (Visibility.PUBLIC.value, "Public: anyone can see it, signed in or not"),
]
ROLE_CHOICES = [(level.value, level.label) for level in AccessLevel if level]
# A group's forwarding of PyPI misses: on, off, or (empty) whatever the parent group says.
FORWARDING_CHOICES = [
    ("", "Inherit: as the parent group, or the instance, decides"),
    ("true", "Forward: send a name missing here to the upstream index (pypi.org)"),
    ("false", "Do not forward: a missing name is a 404"),
]


def _blank(label: str) -> dict[str, str]:
    # GitLab's message for an empty required field.
    return {"required": f"{label} can't be blank"}


class _NamespaceForm(forms.Form):
    name = forms.CharField(max_length=255, error_messages=_blank("Name"))
    path = forms.CharField(
        max_length=255, error_messages=_blank("Path"),
        help_text="Part of every URL: letters, digits, '_', '-' and '.'.",
    )
    visibility = forms.TypedChoiceField(
        choices=VISIBILITY_CHOICES, coerce=int, initial=Visibility.PRIVATE.value,
        widget=forms.RadioSelect, label="Visibility level",
    )
    description = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 3}))


class GroupForm(_NamespaceForm):
    """GitLab's "Create group" (and, with a parent, "Create subgroup")."""


class _NamespaceChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Group) -> str:
        return obj.full_path


class ProjectForm(_NamespaceForm):
    """GitLab's "Create blank project": a group to hold it, a name and a path."""

    namespace = _NamespaceChoiceField(
        queryset=Group.objects.none(), label="Group", empty_label=None,
        error_messages={"required": "Namespace can't be blank",
                        "invalid_choice": "Namespace is not valid"},
    )
    field_order = ["namespace", "name", "path", "visibility", "description"]

    def __init__(self, *args: object, namespaces: QuerySet[Group], **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        namespace_field = self.fields["namespace"]
        assert isinstance(namespace_field, forms.ModelChoiceField)
        namespace_field.queryset = namespaces.order_by("full_path")


class NamespaceSettingsForm(forms.Form):
    """GitLab's settings > General: name, description and visibility (the path stays)."""

    name = forms.CharField(max_length=255, error_messages=_blank("Name"))
    description = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 3}))
    visibility = forms.TypedChoiceField(
        choices=VISIBILITY_CHOICES, coerce=int, widget=forms.RadioSelect,
        label="Visibility level",
    )


class GroupSettingsForm(NamespaceSettingsForm, GroupUpstreamFields):
    """A group's settings, with its owner's choices about PyPI misses: whether they are
    forwarded, how, and the supply-chain policy for what comes from the upstream index."""

    forwarding = forms.TypedChoiceField(
        choices=FORWARDING_CHOICES, required=False, widget=forms.RadioSelect,
        coerce=lambda value: value == "true", empty_value=None,
        label="Package forwarding (PyPI)",
        help_text="Names that exist anywhere in this group's top-level group are never "
                  "forwarded, whatever this says.",
    )
    GENERAL = ("name", "description", "visibility")
    field_order = [*GENERAL, "forwarding", *GroupUpstreamFields.field_order]

    @property
    def general_fields(self) -> list[forms.BoundField]:
        return [self[name] for name in self.GENERAL]

    @property
    def upstream_fields(self) -> list[forms.BoundField]:
        return [self[name] for name in self.fields if name not in self.GENERAL]

    @staticmethod
    def initial_from(group: Group) -> dict[str, object]:
        """What the page shows before a change: the group's own values (blank: inherit)."""
        return {"name": group.name, "description": group.description,
                "visibility": group.visibility,
                "forwarding": {None: "", True: "true", False: "false"}[
                    group.pypi_package_requests_forwarding],
                **GroupUpstreamFields.initial_for(group)}

    def changes(self) -> NamespaceChanges:
        """The cleaned form as `services.group_update` takes it (the API's field names)."""
        data = self.cleaned_data
        changes = {"name": data["name"], "description": data["description"],
                   "visibility": data["visibility"],
                   "pypi_package_requests_forwarding": data["forwarding"],
                   **self.upstream_changes()}
        return cast(NamespaceChanges, changes)


class MemberAddForm(forms.Form):
    """GitLab's "Invite members": a username, a role and an optional end date."""

    username = forms.CharField(max_length=255, error_messages=_blank("Username"))
    access_level = forms.TypedChoiceField(
        choices=ROLE_CHOICES, coerce=int, initial=AccessLevel.GUEST.value, label="Role",
    )
    expires_at = forms.DateField(
        required=False, label="Access expiration date",
        widget=forms.DateInput(attrs={"type": "date"}),
    )


class MemberRoleForm(forms.Form):
    """One member's role, changed from the members table."""

    access_level = forms.TypedChoiceField(choices=ROLE_CHOICES, coerce=int, label="Role")


def add_service_error(form: forms.Form, error: RegistryError) -> None:
    """Show a service's or the policy's refusal on the form: next to its field, else on top."""
    field = getattr(error, "field", None)
    message = getattr(error, "field_message", "") or getattr(error, "reason", "") or error.message
    form.add_error(field if field in form.fields else None, message[:1].upper() + message[1:])
