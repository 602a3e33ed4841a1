"""GitLab REST API v4: the current user, users, groups and projects (python-gitlab's calls)."""

import json
from typing import Any

from django.http import HttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    extend_schema,
    extend_schema_serializer,
    inline_serializer,
)
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from projects import selectors, services
from projects.access import Ability, access_group, access_project
from projects.api.serializers import GroupOutput, ProjectOutput, UserOutput, VisibilityField
from projects.api.support import admin_principal, signed_in_principal, user_principal
from projects.api.upstream_fields import GroupUpstreamInput
from projects.models import User
from projects.principals import Principal
from projects.roles import Visibility
from registry.http.api import accepted, many, paginated, query_bool, validated
from registry.http.exceptions import NotFound

_BOOL = OpenApiTypes.BOOL
_PAGES = [OpenApiParameter("page", int), OpenApiParameter("per_page", int)]
_SEARCH = OpenApiParameter("search", str, description="In the name or path")
_MIN_ACCESS = OpenApiParameter("min_access_level", int, description="Least role (10-50)")
_OWNED = OpenApiParameter("owned", _BOOL, description="Only what the caller owns")
_VISIBILITY = OpenApiParameter("visibility", str, enum=[v.label for v in Visibility])


# GitLab's answer to a scheduled deletion: {"message": "202 Accepted"}.
_ACCEPTED = inline_serializer("Accepted", {"message": serializers.CharField()})


def _context(request: Request, principal: Principal) -> dict[str, Any]:
    return {"request": request, "viewer": principal.user}


def _int_param(request: Request, name: str) -> int | None:
    value = request.query_params.get(name)
    return int(value) if value and value.isdigit() else None


def _user_or_404(user_id: str) -> User:
    user = User.objects.filter(pk=int(user_id)).first() if user_id.isdigit() else None
    if user is None:
        raise NotFound("User")
    return user


class CurrentUserApi(APIView):
    """GET /user: who the token belongs to (python-gitlab's `gl.auth()`)."""

    @extend_schema(responses={200: UserOutput})
    def get(self, request: Request) -> Response:
        principal = signed_in_principal(request)
        return Response(UserOutput(principal.user, context=_context(request, principal)).data)


class UserListCreateApi(APIView):
    """GET /users (signed in) and POST /users (admin; 409 on a taken username or email)."""

    @extend_schema_serializer(component_name="UserCreateInput")
    class InputSerializer(serializers.Serializer):
        username = serializers.CharField()
        email = serializers.EmailField()
        name = serializers.CharField()
        password = serializers.CharField(required=False, write_only=True, min_length=8)
        reset_password = serializers.BooleanField(required=False, default=False)
        force_random_password = serializers.BooleanField(required=False, default=False)
        admin = serializers.BooleanField(required=False, default=False)
        skip_confirmation = serializers.BooleanField(required=False, default=True)

    @extend_schema(
        parameters=[OpenApiParameter("username", str, description="Exact username"),
                    OpenApiParameter("search", str, description="Username, email or name"),
                    *_PAGES],
        responses={200: UserOutput(many=True)},
    )
    def get(self, request: Request) -> Response:
        principal = signed_in_principal(request)
        users = selectors.users_list(
            username=request.query_params.get("username"),
            search=request.query_params.get("search"),
        )
        context = _context(request, principal)
        return paginated(request, users, many(UserOutput, context))

    @extend_schema(request=InputSerializer, responses={201: UserOutput})
    def post(self, request: Request) -> Response:
        principal = admin_principal(request)
        data = validated(self.InputSerializer, request)
        user = services.user_create(
            username=data["username"], email=data["email"], name=data["name"],
            password=data.get("password"), is_admin=data["admin"],
        )
        return Response(UserOutput(user, context=_context(request, principal)).data, status=201)


class UserDetailApi(APIView):
    """GET, PUT (admin) and DELETE (admin) /users/:id."""

    @extend_schema_serializer(component_name="UserUpdateInput")
    class InputSerializer(serializers.Serializer):
        username = serializers.CharField(required=False)
        email = serializers.EmailField(required=False)
        name = serializers.CharField(required=False)
        password = serializers.CharField(required=False, write_only=True, min_length=8)
        admin = serializers.BooleanField(required=False)

    @extend_schema(responses={200: UserOutput})
    def get(self, request: Request, user_id: str) -> Response:
        principal = signed_in_principal(request)
        user = _user_or_404(user_id)
        return Response(UserOutput(user, context=_context(request, principal)).data)

    @extend_schema(request=InputSerializer, responses={200: UserOutput})
    def put(self, request: Request, user_id: str) -> Response:
        principal = admin_principal(request)
        user = _user_or_404(user_id)
        user = services.user_update(user=user, **validated(self.InputSerializer, request))
        return Response(UserOutput(user, context=_context(request, principal)).data)

    @extend_schema(responses={204: None})
    def delete(self, request: Request, user_id: str) -> Response:
        admin_principal(request)
        services.user_delete(user=_user_or_404(user_id))
        return Response(status=204)


def _json_literal(value: bool | None, *, status: int) -> HttpResponse:
    # DRF renders None as an empty body, which python-gitlab cannot parse as JSON; GitLab
    # sends the literal `null`.
    return HttpResponse(json.dumps(value), status=status, content_type="application/json")


class UserBlockApi(APIView):
    """POST /users/:id/block (admin): 201 `true`, or 201 `null` when already blocked."""

    @extend_schema(request=None, responses={201: OpenApiTypes.BOOL})
    def post(self, request: Request, user_id: str) -> HttpResponse:
        principal = admin_principal(request)
        assert principal.user is not None  # an admin is a user
        changed = services.user_block(user=_user_or_404(user_id), by=principal.user)
        return _json_literal(True if changed else None, status=201)


class UserUnblockApi(APIView):
    """POST /users/:id/unblock (admin): 201 `true`, or 201 `false` when not blocked."""

    @extend_schema(request=None, responses={201: OpenApiTypes.BOOL})
    def post(self, request: Request, user_id: str) -> HttpResponse:
        admin_principal(request)
        changed = services.user_unblock(user=_user_or_404(user_id))
        return _json_literal(changed, status=201)


class GroupListCreateApi(APIView):
    """GET /groups (what the caller sees) and POST /groups (a subgroup with `parent_id`)."""

    @extend_schema_serializer(component_name="GroupCreateInput")
    class InputSerializer(serializers.Serializer):
        name = serializers.CharField()
        path = serializers.CharField()
        parent_id = serializers.IntegerField(required=False, allow_null=True)
        visibility = VisibilityField(required=False)
        description = serializers.CharField(required=False, allow_blank=True, default="")

    @extend_schema(
        parameters=[_SEARCH, OpenApiParameter("top_level_only", _BOOL), _MIN_ACCESS, _OWNED,
                    *_PAGES],
        responses={200: GroupOutput(many=True)},
    )
    def get(self, request: Request) -> Response:
        principal = user_principal(request)
        groups = selectors.groups_list(
            principal=principal,
            search=request.query_params.get("search"),
            top_level_only=bool(query_bool(request, "top_level_only", False)),
            min_access_level=_int_param(request, "min_access_level")
            or (50 if query_bool(request, "owned") else None),
        )
        context = _context(request, principal)
        return paginated(request, groups, many(GroupOutput, context))

    @extend_schema(request=InputSerializer, responses={201: GroupOutput})
    def post(self, request: Request) -> Response:
        principal = signed_in_principal(request)
        data = validated(self.InputSerializer, request)
        parent = None
        if data.get("parent_id") is not None:
            parent = access_group(principal, data["parent_id"], Ability.CREATE_SUBGROUP)
        group = services.group_create(
            name=data["name"], path=data["path"], parent=parent,
            visibility=data.get("visibility", Visibility.PRIVATE),
            description=data["description"], creator=principal.user,
        )
        return Response(GroupOutput(group, context=_context(request, principal)).data, status=201)


class GroupDetailApi(APIView):
    """GET, PUT (owner) and DELETE (owner; 202) /groups/:id, by id or full path."""

    @extend_schema_serializer(component_name="GroupUpdateInput")
    class InputSerializer(GroupUpstreamInput):
        name = serializers.CharField(required=False)
        path = serializers.CharField(required=False)
        visibility = VisibilityField(required=False)
        description = serializers.CharField(required=False, allow_blank=True)

    @extend_schema(responses={200: GroupOutput})
    def get(self, request: Request, ref: str) -> Response:
        principal = user_principal(request)
        group = access_group(principal, ref, Ability.READ_GROUP)
        return Response(GroupOutput(group, context=_context(request, principal)).data)

    @extend_schema(request=InputSerializer, responses={200: GroupOutput})
    def put(self, request: Request, ref: str) -> Response:
        principal = user_principal(request)
        group = access_group(principal, ref, Ability.ADMIN_GROUP)
        group = services.group_update(
            group=group, actor=principal, **validated(self.InputSerializer, request)
        )
        return Response(GroupOutput(group, context=_context(request, principal)).data)

    @extend_schema(responses={202: _ACCEPTED})
    def delete(self, request: Request, ref: str) -> Response:
        principal = user_principal(request)
        services.group_delete(group=access_group(principal, ref, Ability.ADMIN_GROUP))
        return accepted()


class GroupSubgroupListApi(APIView):
    """GET /groups/:id/subgroups (children) and /descendant_groups (every level below)."""

    recursive = False

    @extend_schema(parameters=_PAGES, responses={200: GroupOutput(many=True)})
    def get(self, request: Request, ref: str) -> Response:
        principal = user_principal(request)
        group = access_group(principal, ref, Ability.READ_GROUP)
        groups = selectors.subgroups_list(
            principal=principal, group=group, recursive=self.recursive
        )
        context = _context(request, principal)
        return paginated(request, groups, many(GroupOutput, context))


class GroupDescendantListApi(GroupSubgroupListApi):
    """GET /groups/:id/descendant_groups."""

    recursive = True


class GroupProjectListApi(APIView):
    """GET /groups/:id/projects (with `include_subgroups`)."""

    @extend_schema(
        parameters=[OpenApiParameter("include_subgroups", _BOOL), _SEARCH, *_PAGES],
        responses={200: ProjectOutput(many=True)},
    )
    def get(self, request: Request, ref: str) -> Response:
        principal = user_principal(request)
        group = access_group(principal, ref, Ability.READ_GROUP)
        projects = selectors.projects_list(
            principal=principal, group=group,
            include_subgroups=bool(query_bool(request, "include_subgroups", False)),
            search=request.query_params.get("search"),
        )
        context = _context(request, principal)
        return paginated(request, projects, many(ProjectOutput, context))


class ProjectListCreateApi(APIView):
    """GET /projects (what the caller sees) and POST /projects (in a group: `namespace_id`)."""

    @extend_schema_serializer(component_name="ProjectCreateInput")
    class InputSerializer(serializers.Serializer):
        name = serializers.CharField(required=False)
        path = serializers.CharField(required=False)
        namespace_id = serializers.IntegerField()
        visibility = VisibilityField(required=False)
        description = serializers.CharField(required=False, allow_blank=True, default="")

        def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
            if not attrs.get("name") and not attrs.get("path"):
                raise serializers.ValidationError({"name": ["is missing"]}, code="required")
            attrs.setdefault("path", attrs.get("name"))
            attrs.setdefault("name", attrs.get("path"))
            return attrs

    @extend_schema(
        parameters=[_SEARCH, _VISIBILITY, OpenApiParameter("membership", _BOOL), _MIN_ACCESS,
                    _OWNED, *_PAGES],
        responses={200: ProjectOutput(many=True)},
    )
    def get(self, request: Request) -> Response:
        principal = user_principal(request)
        projects = selectors.projects_list(
            principal=principal,
            search=request.query_params.get("search"),
            visibility=selectors.parse_visibility(request.query_params.get("visibility")),
            membership=bool(query_bool(request, "membership", False)),
            min_access_level=_int_param(request, "min_access_level")
            or (50 if query_bool(request, "owned") else None),
        )
        context = _context(request, principal)
        return paginated(request, projects, many(ProjectOutput, context))

    @extend_schema(request=InputSerializer, responses={201: ProjectOutput})
    def post(self, request: Request) -> Response:
        principal = signed_in_principal(request)
        data = validated(self.InputSerializer, request)
        namespace = access_group(principal, data["namespace_id"], Ability.CREATE_PROJECT)
        project = services.project_create(
            name=data["name"], path=data["path"], namespace=namespace,
            visibility=data.get("visibility", Visibility.PRIVATE),
            description=data["description"],
        )
        context = _context(request, principal)
        return Response(ProjectOutput(project, context=context).data, status=201)


class ProjectDetailApi(APIView):
    """GET, PUT (maintainer) and DELETE (owner; 202) /projects/:id, by id or full path."""

    @extend_schema_serializer(component_name="ProjectUpdateInput")
    class InputSerializer(serializers.Serializer):
        name = serializers.CharField(required=False)
        path = serializers.CharField(required=False)
        visibility = VisibilityField(required=False)
        description = serializers.CharField(required=False, allow_blank=True)

    @extend_schema(responses={200: ProjectOutput})
    def get(self, request: Request, ref: str) -> Response:
        principal = user_principal(request)
        project = access_project(principal, ref, Ability.READ_PROJECT)
        return Response(ProjectOutput(project, context=_context(request, principal)).data)

    @extend_schema(request=InputSerializer, responses={200: ProjectOutput})
    def put(self, request: Request, ref: str) -> Response:
        principal = user_principal(request)
        project = access_project(principal, ref, Ability.ADMIN_PROJECT)
        data = validated(self.InputSerializer, request)
        project = services.project_update(project=project, actor=principal, **data)
        return Response(ProjectOutput(project, context=_context(request, principal)).data)

    @extend_schema(responses={202: _ACCEPTED})
    def delete(self, request: Request, ref: str) -> Response:
        principal = user_principal(request)
        services.project_delete(project=access_project(principal, ref, Ability.REMOVE_PROJECT))
        return accepted()
