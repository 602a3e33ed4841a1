"""GitLab's JSON entities for users, groups, projects and members (lib/api/entities)."""

from typing import Any

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from projects.api.upstream_fields import GroupUpstreamOutput
from projects.models import Group, Project, User
from projects.roles import Visibility
from registry.http.api import GitLabDateTimeField
from registry.http.site import base_url

# GitLab's fields this registry has no value for (avatars, branches) are always null.
always_null = extend_schema_field({"type": "string", "nullable": True})


def _base(serializer: serializers.Serializer) -> str:
    return base_url(serializer.context["request"])


class VisibilityField(serializers.ChoiceField):
    """`private` / `internal` / `public` in and out, the integer level inside."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(choices=[v.label for v in Visibility], **kwargs)

    # drf-stubs fix ChoiceField's values to str, but DRF returns the choice's key, of any type;
    # here the labels go in and the integer level comes out.
    def to_internal_value(self, data: Any) -> int:  # type: ignore[override]
        return Visibility.from_name(super().to_internal_value(data))

    def to_representation(self, value: int) -> str:  # type: ignore[override]
        return Visibility(value).label


class UserOutput(serializers.Serializer):
    """GitLab's User (with the admin fields when the caller may see them)."""

    id = serializers.IntegerField()
    username = serializers.CharField()
    name = serializers.CharField()
    state = serializers.CharField()
    avatar_url = serializers.SerializerMethodField()
    web_url = serializers.SerializerMethodField()
    created_at = GitLabDateTimeField(source="date_joined")
    bot = serializers.SerializerMethodField()

    @always_null
    def get_avatar_url(self, user: User) -> None:
        return None

    def get_web_url(self, user: User) -> str:
        return f"{_base(self)}/{user.username}"

    def get_bot(self, user: User) -> bool:
        return False

    def to_representation(self, user: User) -> dict[str, Any]:
        data = super().to_representation(user)
        viewer = self.context.get("viewer")
        if viewer is not None and (viewer.is_admin or viewer.pk == user.pk):
            data.update(
                email=user.email,
                is_admin=user.is_admin,
                can_create_group=True,
                can_create_project=True,
                projects_limit=0,
                external=False,
                private_profile=False,
            )
        return data


class GroupOutput(GroupUpstreamOutput):
    """GitLab's Group, with the upstream proxy's overrides (issue 11)."""

    id = serializers.IntegerField()
    name = serializers.CharField()
    path = serializers.CharField()
    full_name = serializers.SerializerMethodField()
    full_path = serializers.CharField()
    parent_id = serializers.IntegerField(allow_null=True)
    description = serializers.CharField()
    visibility = VisibilityField()
    web_url = serializers.SerializerMethodField()
    avatar_url = serializers.SerializerMethodField()
    request_access_enabled = serializers.SerializerMethodField()
    created_at = GitLabDateTimeField()

    def get_full_name(self, group: Group) -> str:
        return " / ".join(group.full_path.split("/"))

    def get_web_url(self, group: Group) -> str:
        return f"{_base(self)}/groups/{group.full_path}"

    @always_null
    def get_avatar_url(self, group: Group) -> None:
        return None

    def get_request_access_enabled(self, group: Group) -> bool:
        return False


class NamespaceOutput(serializers.Serializer):
    """GitLab's NamespaceBasic: /namespaces and the `namespace` object embedded in a project.

    `kind` is always "group": this registry has no personal (user) namespaces.
    """

    id = serializers.IntegerField()
    name = serializers.CharField()
    path = serializers.CharField()
    kind = serializers.SerializerMethodField()
    full_path = serializers.CharField()
    parent_id = serializers.IntegerField(allow_null=True)
    avatar_url = serializers.SerializerMethodField()
    web_url = serializers.SerializerMethodField()

    def get_kind(self, group: Group) -> str:
        return "group"

    @always_null
    def get_avatar_url(self, group: Group) -> None:
        return None

    def get_web_url(self, group: Group) -> str:
        return f"{_base(self)}/groups/{group.full_path}"


class ProjectOutput(serializers.Serializer):
    """GitLab's Project (the fields a registry has)."""

    id = serializers.IntegerField()
    name = serializers.CharField()
    path = serializers.CharField()
    path_with_namespace = serializers.CharField(source="full_path")
    name_with_namespace = serializers.SerializerMethodField()
    description = serializers.CharField()
    visibility = VisibilityField()
    web_url = serializers.SerializerMethodField()
    created_at = GitLabDateTimeField()
    default_branch = serializers.SerializerMethodField()
    archived = serializers.SerializerMethodField()
    packages_enabled = serializers.BooleanField()
    namespace = NamespaceOutput()

    def get_name_with_namespace(self, project: Project) -> str:
        return " / ".join([*project.namespace.full_path.split("/"), project.name])

    def get_web_url(self, project: Project) -> str:
        return f"{_base(self)}/{project.full_path}"

    @always_null
    def get_default_branch(self, project: Project) -> None:
        return None

    def get_archived(self, project: Project) -> bool:
        return False


class MemberOutput(serializers.Serializer):
    """GitLab's Member: the user's fields plus the role; `id` is the user's id."""

    id = serializers.IntegerField(source="user.id")
    username = serializers.CharField(source="user.username")
    name = serializers.CharField(source="user.name")
    state = serializers.CharField(source="user.state")
    avatar_url = serializers.SerializerMethodField()
    web_url = serializers.SerializerMethodField()
    access_level = serializers.IntegerField()
    expires_at = serializers.DateField(allow_null=True)
    created_at = GitLabDateTimeField()

    @always_null
    def get_avatar_url(self, member: object) -> None:
        return None

    def get_web_url(self, member: Any) -> str:
        return f"{_base(self)}/{member.user.username}"
