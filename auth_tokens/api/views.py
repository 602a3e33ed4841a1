"""GitLab REST API v4: personal access tokens, deploy tokens, and CI jobs (our extension).

Secrets appear in exactly two answers, the create and the rotate; they are never logged.
"""

import datetime
from typing import Any

from django.db.models import Q, QuerySet
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_serializer
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from auth_tokens import services
from auth_tokens.models import CiJob, DeployToken, PersonalAccessToken, default_expiry
from projects.access import Ability, access_group, access_project, job_user_allowed
from projects.api.support import admin_principal, signed_in_principal, user_principal
from projects.models import Group, Project, User
from projects.principals import Principal, principal_of
from registry.http.api import GitLabDateTimeField, many, paginated, query_bool, validated
from registry.http.exceptions import Forbidden, NotFound

# GitLab: a rotated token lives a week unless the request says otherwise.
ROTATED_LIFETIME = datetime.timedelta(days=7)


class PersonalAccessTokenOutput(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    description = serializers.CharField(allow_blank=True)
    revoked = serializers.BooleanField()
    active = serializers.BooleanField()
    created_at = GitLabDateTimeField()
    scopes = serializers.ListField(child=serializers.CharField())
    user_id = serializers.IntegerField()
    last_used_at = GitLabDateTimeField(allow_null=True)
    expires_at = serializers.DateField(allow_null=True)


class PersonalAccessTokenWithSecretOutput(PersonalAccessTokenOutput):
    """The create and rotate answers: the only two that carry the secret."""

    token = serializers.CharField()


class DeployTokenOutput(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    username = serializers.CharField()
    expires_at = GitLabDateTimeField(allow_null=True)
    scopes = serializers.ListField(child=serializers.CharField())
    revoked = serializers.BooleanField()
    expired = serializers.BooleanField(source="is_expired")


class DeployTokenWithSecretOutput(DeployTokenOutput):
    token = serializers.CharField()


_PAGES = [OpenApiParameter("page", int), OpenApiParameter("per_page", int)]


def _with_secret(data: dict[str, Any], secret: str) -> dict[str, Any]:
    return {**data, "token": secret}


def _user_or_404(user_id: str) -> User:
    user = User.objects.filter(pk=int(user_id)).first()
    if user is None:
        raise NotFound("User")
    return user


def _pat_for(principal: Principal, token_id: str) -> PersonalAccessToken:
    """The token `token_id` names (`self`: the calling one), if the caller may see it."""
    if token_id == "self":
        if principal.personal_access_token is None:
            raise NotFound()
        return principal.personal_access_token
    assert principal.user is not None  # callers pass signed_in_principal()
    token = PersonalAccessToken.objects.filter(pk=int(token_id)).first()
    if token is None or not (principal.is_admin or token.user_id == principal.user.pk):
        raise NotFound()
    return token


class UserPersonalAccessTokenCreateApi(APIView):
    """POST /users/:id/personal_access_tokens (admin): answers the secret once, with 201."""

    @extend_schema_serializer(component_name="PersonalAccessTokenCreateInput")
    class InputSerializer(serializers.Serializer):
        name = serializers.CharField()
        scopes = serializers.ListField(child=serializers.CharField(), allow_empty=False)
        expires_at = serializers.DateField(required=False, allow_null=True)
        description = serializers.CharField(required=False, allow_blank=True, default="")

    @extend_schema(request=InputSerializer, responses={201: PersonalAccessTokenWithSecretOutput})
    def post(self, request: Request, user_id: str) -> Response:
        principal = admin_principal(request)
        user = _user_or_404(user_id)
        data = validated(self.InputSerializer, request)
        # GitLab >= 16.0: a token created without an expiry gets the maximum lifetime.
        data["expires_at"] = data.get("expires_at") or default_expiry()
        token, secret = services.personal_access_token_issue(user=user, issuer=principal, **data)
        return Response(_with_secret(PersonalAccessTokenOutput(token).data, secret), status=201)


class PersonalAccessTokenListApi(APIView):
    """GET /personal_access_tokens: everyone's for admins (`user_id` filter), else one's own."""

    @extend_schema(
        parameters=[OpenApiParameter("user_id", int, description="Admins: one user's tokens"),
                    OpenApiParameter("revoked", OpenApiTypes.BOOL),
                    OpenApiParameter("state", str, enum=["active", "inactive"]),
                    OpenApiParameter("search", str, description="In the name"), *_PAGES],
        responses={200: PersonalAccessTokenOutput(many=True)},
    )
    def get(self, request: Request) -> Response:
        principal = signed_in_principal(request)
        tokens = PersonalAccessToken.objects.order_by("id")
        user_id = request.query_params.get("user_id")
        if not principal.is_admin:
            tokens = tokens.filter(user=principal.user)
        if user_id:
            tokens = tokens.filter(user_id=int(user_id)) if user_id.isdigit() else tokens.none()
        tokens = _filter_pats(request, tokens)
        return paginated(request, tokens, many(PersonalAccessTokenOutput))


def _filter_pats(request: Request, tokens: QuerySet) -> QuerySet:
    revoked = query_bool(request, "revoked")
    if revoked is not None:
        tokens = tokens.filter(revoked=revoked)
    active = Q(revoked=False) & (
        Q(expires_at__isnull=True) | Q(expires_at__gt=timezone.now().date())
    )
    state = request.query_params.get("state")
    if state == "active":
        tokens = tokens.filter(active)
    elif state == "inactive":
        tokens = tokens.exclude(active)
    if search := request.query_params.get("search"):
        tokens = tokens.filter(name__icontains=search)
    return tokens


class PersonalAccessTokenDetailApi(APIView):
    """GET and DELETE /personal_access_tokens/:id and /self; a revoked row stays visible."""

    @extend_schema(responses={200: PersonalAccessTokenOutput})
    def get(self, request: Request, token_id: str) -> Response:
        token = _pat_for(signed_in_principal(request), token_id)
        return Response(PersonalAccessTokenOutput(token).data)

    @extend_schema(responses={204: None})
    def delete(self, request: Request, token_id: str) -> Response:
        principal = signed_in_principal(request)
        token = _pat_for(principal, token_id)
        services.token_revoke(token=token, actor=principal)
        return Response(status=204)


class PersonalAccessTokenRotateApi(APIView):
    """POST /personal_access_tokens/:id/rotate: revoke it, answer a new one (200, secret once)."""

    @extend_schema_serializer(component_name="PersonalAccessTokenRotateInput")
    class InputSerializer(serializers.Serializer):
        expires_at = serializers.DateField(required=False, allow_null=True)

    @extend_schema(request=InputSerializer, responses={200: PersonalAccessTokenWithSecretOutput})
    def post(self, request: Request, token_id: str) -> Response:
        principal = signed_in_principal(request)
        token = _pat_for(principal, token_id)
        data = validated(self.InputSerializer, request)
        expires_at = data.get("expires_at") or timezone.now().date() + ROTATED_LIFETIME
        new, secret = services.personal_access_token_rotate(
            token=token, expires_at=expires_at, issuer=principal
        )
        return Response(_with_secret(PersonalAccessTokenOutput(new).data, secret))


def _owner(principal: Principal, kind: str, ref: str) -> Project | Group:
    """The project (maintainer) or group (owner) whose deploy tokens are managed."""
    if kind == "projects":
        return access_project(principal, ref, Ability.ADMIN_PROJECT)
    return access_group(principal, ref, Ability.ADMIN_GROUP)


def _deploy_tokens(owner: Project | Group) -> QuerySet[DeployToken]:
    field = "project" if isinstance(owner, Project) else "group"
    return DeployToken.objects.filter(**{field: owner}).order_by("id")


class DeployTokenListCreateApi(APIView):
    """GET and POST /projects/:id/deploy_tokens and /groups/:id/deploy_tokens."""

    @extend_schema_serializer(component_name="DeployTokenCreateInput")
    class InputSerializer(serializers.Serializer):
        name = serializers.CharField()
        scopes = serializers.ListField(child=serializers.CharField(), allow_empty=False)
        expires_at = serializers.DateTimeField(required=False, allow_null=True)
        username = serializers.CharField(required=False, allow_blank=True, default="")

    @extend_schema(
        parameters=[OpenApiParameter("active", OpenApiTypes.BOOL), *_PAGES],
        responses={200: DeployTokenOutput(many=True)},
    )
    def get(self, request: Request, kind: str, ref: str) -> Response:
        tokens = _deploy_tokens(_owner(user_principal(request), kind, ref))
        if query_bool(request, "active"):
            tokens = tokens.filter(revoked=False).filter(
                Q(expires_at__isnull=True) | Q(expires_at__gt=timezone.now())
            )
        return paginated(request, tokens, many(DeployTokenOutput))

    @extend_schema(request=InputSerializer, responses={201: DeployTokenWithSecretOutput})
    def post(self, request: Request, kind: str, ref: str) -> Response:
        owner = _owner(user_principal(request), kind, ref)
        data = validated(self.InputSerializer, request)
        token, secret = services.deploy_token_issue(
            owner=owner, actor=principal_of(request), **data
        )
        return Response(_with_secret(DeployTokenOutput(token).data, secret), status=201)


class DeployTokenDetailApi(APIView):
    """GET and DELETE /projects|groups/:id/deploy_tokens/:token_id (delete revokes: 204)."""

    def _token(self, request: Request, kind: str, ref: str, token_id: str) -> DeployToken:
        owner = _owner(user_principal(request), kind, ref)
        token = _deploy_tokens(owner).filter(pk=token_id).first()
        if token is None:
            raise NotFound("Deploy Token")
        return token

    @extend_schema(responses={200: DeployTokenOutput})
    def get(self, request: Request, kind: str, ref: str, token_id: str) -> Response:
        return Response(DeployTokenOutput(self._token(request, kind, ref, token_id)).data)

    @extend_schema(responses={204: None})
    def delete(self, request: Request, kind: str, ref: str, token_id: str) -> Response:
        services.token_revoke(
            token=self._token(request, kind, ref, token_id), actor=principal_of(request)
        )
        return Response(status=204)


class CiJobOutput(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    status = serializers.CharField()
    project_id = serializers.IntegerField()
    user_id = serializers.IntegerField()
    created_at = GitLabDateTimeField()
    finished_at = GitLabDateTimeField(allow_null=True)


class CiJobWithSecretOutput(CiJobOutput):
    token = serializers.CharField()


class CiJobCreateApi(APIView):
    """POST /projects/:id/jobs (our extension, for CI systems): start a job, answer its token.

    Admins and project maintainers only; the job acts as `user_id` / `username`, who may not
    have more access to the project than the caller (a job token carries its user's rights).
    """

    @extend_schema_serializer(component_name="CiJobCreateInput")
    class InputSerializer(serializers.Serializer):
        user_id = serializers.IntegerField(required=False)
        username = serializers.CharField(required=False)
        name = serializers.CharField(required=False, allow_blank=True, default="")

    @extend_schema(request=InputSerializer, responses={201: CiJobWithSecretOutput})
    def post(self, request: Request, ref: str) -> Response:
        principal = user_principal(request)
        project = access_project(principal, ref, Ability.ADMIN_PROJECT)
        data = validated(self.InputSerializer, request)
        users = User.objects.filter(
            Q(pk=data["user_id"]) if "user_id" in data else Q(username=data.get("username"))
        )
        user = users.first()
        if user is None:
            raise NotFound("User")
        if not job_user_allowed(principal, project, user):
            raise Forbidden("a job cannot act as a user with more access than yours")
        job, secret = services.ci_job_start(
            project=project, user=user, name=data["name"], actor=principal
        )
        return Response(_with_secret(CiJobOutput(job).data, secret), status=201)


class CiJobFinishApi(APIView):
    """POST /jobs/:id/finish {status}: the job token stops working at once."""

    @extend_schema_serializer(component_name="CiJobFinishInput")
    class InputSerializer(serializers.Serializer):
        status = serializers.CharField(required=False, default=CiJob.Status.SUCCESS)

    @extend_schema(request=InputSerializer, responses={200: CiJobOutput})
    def post(self, request: Request, job_id: str) -> Response:
        principal = user_principal(request)
        job = CiJob.objects.filter(pk=int(job_id)).first()
        if job is None:
            raise NotFound("Job")
        access_project(principal, job.project_id, Ability.ADMIN_PROJECT)
        data = validated(self.InputSerializer, request)
        job = services.ci_job_finish(job=job, status=data["status"], actor=principal)
        return Response(CiJobOutput(job).data)
