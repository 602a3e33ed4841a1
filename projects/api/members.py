"""GitLab REST API v4: group and project members, and the application settings."""

from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_serializer
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from projects import selectors, services
from projects.access import access_member_change, access_members_of
from projects.api.serializers import MemberOutput
from projects.api.support import admin_principal, user_principal
from projects.api.upstream_fields import InstanceUpstreamInput, InstanceUpstreamOutput
from projects.models import ApplicationSettings, Group, GroupMember, Project, ProjectMember, User
from projects.roles import AccessLevel
from registry.http.api import ParameterError, many, paginated, validated
from registry.http.exceptions import NotFound


def _member_or_404(subject: Project | Group, user_id: str) -> ProjectMember | GroupMember:
    member = selectors.member_of(subject, user_id)
    if member is None:
        raise NotFound("Member")
    return member


class MemberListCreateApi(APIView):
    """GET and POST /groups/:id/members and /projects/:id/members (direct members)."""

    @extend_schema_serializer(component_name="MemberCreateInput")
    class InputSerializer(serializers.Serializer):
        user_id = serializers.IntegerField(required=False)
        username = serializers.CharField(required=False)
        access_level = serializers.ChoiceField(
            choices=[level for level in AccessLevel.values if level]
        )
        expires_at = serializers.DateField(required=False, allow_null=True)

    @extend_schema(
        parameters=[OpenApiParameter("page", int), OpenApiParameter("per_page", int)],
        responses={200: MemberOutput(many=True)},
    )
    def get(self, request: Request, kind: str, ref: str) -> Response:
        principal = user_principal(request)
        subject = access_members_of(principal, kind, ref, manage=False)
        members = selectors.members_of(subject)
        context = {"request": request}
        return paginated(request, members, many(MemberOutput, context))

    @extend_schema(request=InputSerializer, responses={201: MemberOutput})
    def post(self, request: Request, kind: str, ref: str) -> Response:
        principal = user_principal(request)
        subject = access_members_of(principal, kind, ref, manage=True)
        data = validated(self.InputSerializer, request)
        access_member_change(principal, subject, old_level=None, new_level=data["access_level"])
        member = services.member_create(
            subject=subject, user=_user(data), access_level=data["access_level"],
            expires_at=data.get("expires_at"), actor=principal,
        )
        return Response(MemberOutput(member, context={"request": request}).data, status=201)


def _user(data: dict) -> User:
    if "user_id" in data:
        user = User.objects.filter(pk=data["user_id"]).first()
    elif "username" in data:
        user = selectors.user_by_username(data["username"])
    else:
        raise ParameterError(
            "user_id, username are missing, exactly one parameter must be provided"
        )
    if user is None:
        raise NotFound("User")
    return user


class MemberDetailApi(APIView):
    """GET, PUT and DELETE /groups|projects/:id/members/:user_id."""

    @extend_schema_serializer(component_name="MemberUpdateInput")
    class InputSerializer(serializers.Serializer):
        access_level = serializers.ChoiceField(
            choices=[level for level in AccessLevel.values if level]
        )
        expires_at = serializers.DateField(required=False, allow_null=True)

    @extend_schema(responses={200: MemberOutput})
    def get(self, request: Request, kind: str, ref: str, user_id: str) -> Response:
        principal = user_principal(request)
        member = _member_or_404(access_members_of(principal, kind, ref, manage=False), user_id)
        return Response(MemberOutput(member, context={"request": request}).data)

    @extend_schema(request=InputSerializer, responses={200: MemberOutput})
    def put(self, request: Request, kind: str, ref: str, user_id: str) -> Response:
        principal = user_principal(request)
        subject = access_members_of(principal, kind, ref, manage=True)
        member = _member_or_404(subject, user_id)
        data = validated(self.InputSerializer, request)
        access_member_change(
            principal, subject, old_level=member.access_level, new_level=data["access_level"]
        )
        member = services.member_update(
            member=member, access_level=data["access_level"], expires_at=data.get("expires_at"),
            actor=principal,
        )
        return Response(MemberOutput(member, context={"request": request}).data)

    @extend_schema(responses={204: None})
    def delete(self, request: Request, kind: str, ref: str, user_id: str) -> Response:
        principal = user_principal(request)
        subject = access_members_of(principal, kind, ref, manage=True)
        member = _member_or_404(subject, user_id)
        access_member_change(principal, subject, old_level=member.access_level, new_level=None)
        services.member_remove(member=member, actor=principal)
        return Response(status=204)


class ApplicationSettingsApi(APIView):
    """GET and PUT /application/settings (admin); PUT changes only the keys it is given."""

    @extend_schema_serializer(component_name="ApplicationSettingsInput")
    class InputSerializer(InstanceUpstreamInput):
        pypi_package_requests_forwarding = serializers.BooleanField(required=False)

    @extend_schema_serializer(component_name="ApplicationSettingsOutput")
    class OutputSerializer(InstanceUpstreamOutput):
        id = serializers.IntegerField()
        pypi_package_requests_forwarding = serializers.BooleanField()
        updated_at = serializers.DateTimeField()

    @extend_schema(responses={200: OutputSerializer})
    def get(self, request: Request) -> Response:
        admin_principal(request)
        return Response(self.OutputSerializer(ApplicationSettings.load()).data)

    @extend_schema(request=InputSerializer, responses={200: OutputSerializer})
    def put(self, request: Request) -> Response:
        principal = admin_principal(request)
        # Unknown keys are dropped, as Grape drops undeclared parameters.
        data = validated(self.InputSerializer, request)
        if not data:
            raise ParameterError("at least one parameter must be provided")
        app_settings = services.application_settings_update(actor=principal, **data)
        return Response(self.OutputSerializer(app_settings).data)
