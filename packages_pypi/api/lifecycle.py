"""Yank and unyank a version (PEP 592) and set a name's PEP 792 status: our extensions to
GitLab's Packages API (GitLab has neither)."""

from drf_spectacular.utils import extend_schema
from packaging.utils import canonicalize_name
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from packages_pypi import lifecycle
from packages_pypi.api.views import PackageOutput, _context, _package
from packages_pypi.models import INSTALLABLE, Package, ProjectStatus
from packages_pypi.name_status import name_status_get
from projects.access import Ability, access_project
from projects.models import Project
from projects.principals import principal_of
from registry.http.api import validated
from registry.http.exceptions import NotFound


class YankInput(serializers.Serializer):
    reason = serializers.CharField(required=False, allow_blank=True, max_length=255, default="")


class PackageYankApi(APIView):
    """POST /projects/:id/packages/:package_id/yank yanks the version (maintainers, or a deploy
    token with write_package_registry); DELETE undoes it. Both answer the package."""

    @extend_schema(request=YankInput, responses={200: PackageOutput})
    def post(self, request: Request, ref: str, package_id: str) -> Response:
        data = validated(YankInput, request)
        package = _package(request, ref, package_id, Ability.YANK_PACKAGE)
        lifecycle.package_yank(package=package, reason=data["reason"],
                               actor=principal_of(request))
        return Response(PackageOutput(package, context=_context(request, package.project)).data)

    @extend_schema(responses={200: PackageOutput})
    def delete(self, request: Request, ref: str, package_id: str) -> Response:
        package = _package(request, ref, package_id, Ability.YANK_PACKAGE)
        lifecycle.package_unyank(package=package, actor=principal_of(request))
        return Response(PackageOutput(package, context=_context(request, package.project)).data)


class StatusInput(serializers.Serializer):
    status = serializers.ChoiceField(choices=ProjectStatus.values)
    reason = serializers.CharField(required=False, allow_blank=True, max_length=255, default="")


class StatusOutput(serializers.Serializer):
    name = serializers.CharField()
    status = serializers.CharField()
    reason = serializers.CharField()


def _named(project: Project, name: str) -> str:
    """The PEP 503 form of `name`, if the project holds a package of that name (else 404)."""
    normalized = canonicalize_name(name)
    if not Package.objects.filter(
        project=project, normalized_name=normalized, status__in=INSTALLABLE
    ).exists():
        raise NotFound("Package")
    return normalized


class PackageNameStatusApi(APIView):
    """GET/PUT /projects/:id/packages/pypi/status/:name: the name's PEP 792 status.

    Maintainers set active, deprecated and archived; quarantine and its lifting need an admin.
    """

    @extend_schema(responses={200: StatusOutput})
    def get(self, request: Request, ref: str, name: str) -> Response:
        project = access_project(principal_of(request), ref, Ability.READ_PACKAGE)
        normalized = _named(project, name)
        current = name_status_get(project, normalized)
        return Response({"name": normalized, "status": current.status,
                         "reason": current.reason})

    @extend_schema(request=StatusInput, responses={200: StatusOutput})
    def put(self, request: Request, ref: str, name: str) -> Response:
        principal = principal_of(request)
        data = validated(StatusInput, request)
        project = access_project(principal, ref, Ability.READ_PACKAGE)
        normalized = _named(project, name)
        old = name_status_get(project, normalized).status
        lifecycle.access_name_status_change(principal, project, old=old, new=data["status"])
        row = lifecycle.package_name_status_set(
            project=project, normalized_name=normalized, status=data["status"],
            reason=data["reason"], user=principal.user, actor=principal,
        )
        return Response({"name": normalized, "status": row.status, "reason": row.reason})
