"""A project's package cleanup policy: GET/PUT /projects/:id/packages/cleanup_policy and its
dry run, GET .../cleanup_policy/preview (our extension: GitLab sets its policy over GraphQL).

Maintainers and above.
"""

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from packages_pypi import cleanup
from packages_pypi.api.views import PackageOutput
from projects.access import Ability, access_project
from projects.principals import principal_of
from registry.http.api import GitLabDateTimeField, validated


class PolicyInput(serializers.Serializer):
    enabled = serializers.BooleanField()
    keep_n_versions = serializers.IntegerField(min_value=1, max_value=10_000, allow_null=True,
                                               required=False, default=None)
    older_than_days = serializers.IntegerField(min_value=1, max_value=36_500, allow_null=True,
                                               required=False, default=None)


class PolicyOutput(serializers.Serializer):
    project_id = serializers.IntegerField()
    enabled = serializers.BooleanField()
    keep_n_versions = serializers.IntegerField(allow_null=True)
    older_than_days = serializers.IntegerField(allow_null=True)
    updated_at = GitLabDateTimeField(allow_null=True)


class CleanupPolicyApi(APIView):
    """GET the policy (a disabled one when none was set); PUT replaces it."""

    @extend_schema(responses={200: PolicyOutput})
    def get(self, request: Request, ref: str) -> Response:
        project = access_project(principal_of(request), ref, Ability.ADMIN_PACKAGE)
        return Response(PolicyOutput(cleanup.cleanup_policy_get(project)).data)

    @extend_schema(request=PolicyInput, responses={200: PolicyOutput})
    def put(self, request: Request, ref: str) -> Response:
        project = access_project(principal_of(request), ref, Ability.ADMIN_PACKAGE)
        data = validated(PolicyInput, request)
        policy = cleanup.cleanup_policy_update(project=project, actor=principal_of(request),
                                               **data)
        return Response(PolicyOutput(policy).data)


class CleanupPreviewApi(APIView):
    """GET .../cleanup_policy/preview: the versions the next run would remove (a dry run)."""

    @extend_schema(responses={200: PackageOutput(many=True)})
    def get(self, request: Request, ref: str) -> Response:
        project = access_project(principal_of(request), ref, Ability.ADMIN_PACKAGE)
        plan = cleanup.cleanup_plan(cleanup.cleanup_policy_get(project))
        context = {"request": request, "project": project}
        return Response(PackageOutput(plan, many=True, context=context).data)
