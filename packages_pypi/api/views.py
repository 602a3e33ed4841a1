"""GitLab's Packages API (list, get, delete packages and files) for the PyPI packages here."""

from typing import Any

from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from packages_pypi import selectors, services
from packages_pypi.models import Package, PackageFile
from packages_pypi.selectors import ORDERS, PACKAGE_TYPES, STATUSES, PackageFilters
from projects.access import Ability, access_group, access_project, can, readable_projects
from projects.models import Project
from projects.principals import principal_of
from registry.http.api import (
    GitLabDateTimeField,
    many,
    paginated,
    query_bool,
    query_choice,
)
from registry.http.exceptions import NotFound


def _filters(request: Request, *, group: bool = False) -> PackageFilters:
    orders = [name for name in ORDERS if group or name != "project_path"]
    status = request.query_params.get("status")
    package_type = request.query_params.get("package_type")
    if package_type is not None:
        query_choice(request, "package_type", PACKAGE_TYPES, "pypi")
    if status is not None:
        query_choice(request, "status", list(STATUSES), "default")
    return PackageFilters(
        package_type=package_type,
        package_name=request.query_params.get("package_name"),
        package_version=request.query_params.get("package_version"),
        status=status,
        order_by=query_choice(request, "order_by", orders, "created_at"),
        sort=query_choice(request, "sort", ("asc", "desc"), "asc"),
    )


class PackageOutput(serializers.Serializer):
    """GitLab's Package entity (lib/api/entities/package.rb)."""

    id = serializers.IntegerField()
    name = serializers.CharField()
    version = serializers.CharField()
    package_type = serializers.SerializerMethodField()
    status = serializers.CharField(source="get_status_display")
    _links = serializers.SerializerMethodField()
    created_at = GitLabDateTimeField()
    last_downloaded_at = GitLabDateTimeField()
    tags = serializers.SerializerMethodField()

    def get_package_type(self, package: Package) -> str:
        return "pypi"

    def get_tags(self, package: Package) -> list:
        return []

    def get__links(self, package: Package) -> dict[str, str]:
        project: Project = self.context.get("project") or package.project
        links = {}
        if package.status == Package.Status.DEFAULT:
            links["web_path"] = f"/{project.full_path}/-/packages/{package.pk}"
        if self.context.get("can_destroy"):
            request = self.context["request"]
            links["delete_api_path"] = request.build_absolute_uri(
                f"/api/v4/projects/{project.pk}/packages/{package.pk}"
            )
        return links


class GroupPackageOutput(PackageOutput):
    """A package in a group listing: adds where it lives."""

    project_id = serializers.IntegerField()
    project_path = serializers.CharField(source="project.full_path")


class PackageFileOutput(serializers.Serializer):
    """GitLab's PackageFile entity."""

    id = serializers.IntegerField()
    package_id = serializers.IntegerField()
    created_at = GitLabDateTimeField()
    file_name = serializers.CharField()
    size = serializers.IntegerField()
    file_md5 = serializers.CharField(source="md5")
    file_sha1 = serializers.SerializerMethodField()
    file_sha256 = serializers.CharField(source="sha256")

    def get_file_sha1(self, package_file: PackageFile) -> None:
        return None  # not computed at upload


def _context(request: Request, project: Project) -> dict[str, Any]:
    principal = principal_of(request)
    return {
        "request": request,
        "project": project,
        "can_destroy": can(principal, Ability.DESTROY_PACKAGE, project),
    }


def _package(request: Request, ref: str, package_id: str, ability: Ability) -> Package:
    project = access_project(principal_of(request), ref, ability)
    package = selectors.package_get(project=project, package_id=package_id)
    if package is None:
        raise NotFound("Package")
    package.project = project
    return package


class ProjectPackageListApi(APIView):
    """GET /projects/:id/packages (filters, order, pagination)."""

    def get(self, request: Request, ref: str) -> Response:
        project = access_project(principal_of(request), ref, Ability.READ_PACKAGE)
        packages = selectors.project_packages_list(project=project, filters=_filters(request))
        context = _context(request, project)
        return paginated(request, packages, many(PackageOutput, context))


class ProjectPackageDetailApi(APIView):
    """GET /projects/:id/packages/:package_id (with `versions`) and DELETE (maintainer: 204)."""

    def get(self, request: Request, ref: str, package_id: str) -> Response:
        package = _package(request, ref, package_id, Ability.READ_PACKAGE)
        context = _context(request, package.project)
        data = PackageOutput(package, context=context).data
        versions = selectors.package_versions(package)
        data["versions"] = [
            {"id": v.pk, "version": v.version, "created_at": data_time(v), "pipelines": []}
            for v in versions
        ]
        return Response(data)

    def delete(self, request: Request, ref: str, package_id: str) -> Response:
        package = _package(request, ref, package_id, Ability.DESTROY_PACKAGE)
        services.package_destroy(package=package)
        return Response(status=204)


def data_time(package: Package) -> str | None:
    return GitLabDateTimeField().to_representation(package.created_at)


class PackageFileListApi(APIView):
    """GET /projects/:id/packages/:package_id/package_files."""

    def get(self, request: Request, ref: str, package_id: str) -> Response:
        package = _package(request, ref, package_id, Ability.READ_PACKAGE)
        files = selectors.package_files_list(package=package)
        return paginated(request, files, many(PackageFileOutput))


class PackageFileDeleteApi(APIView):
    """DELETE /projects/:id/packages/:package_id/package_files/:file_id (maintainer: 204)."""

    def delete(self, request: Request, ref: str, package_id: str, file_id: str) -> Response:
        package = _package(request, ref, package_id, Ability.DESTROY_PACKAGE)
        package_file = selectors.package_files_list(package=package).filter(pk=file_id).first()
        if package_file is None:
            raise NotFound("Package File")
        services.package_file_destroy(package_file=package_file)
        return Response(status=204)


class GroupPackageListApi(APIView):
    """GET /groups/:id/packages: every readable project in the tree (`exclude_subgroups`)."""

    def get(self, request: Request, ref: str) -> Response:
        principal = principal_of(request)
        group = access_group(principal, ref, Ability.READ_GROUP)
        projects = readable_projects(principal, group)
        if query_bool(request, "exclude_subgroups", False):
            projects = projects.filter(namespace=group)
        packages = selectors.group_packages_list(
            projects=projects, filters=_filters(request, group=True)
        )
        context = {"request": request}
        return paginated(request, packages, many(GroupPackageOutput, context))
