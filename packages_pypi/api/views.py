"""GitLab's Packages API (list, get, delete packages and files) for the PyPI packages here."""

from typing import Any

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_field
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from packages_pypi import selectors, services
from packages_pypi.models import Package, PackageFile
from packages_pypi.protection import access_package_delete
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


def _list_parameters(*, group: bool) -> list[OpenApiParameter]:
    orders = [name for name in ORDERS if group or name != "project_path"]
    parameters = [
        OpenApiParameter("package_type", str, enum=list(PACKAGE_TYPES)),
        OpenApiParameter("package_name", str,
                         description="Substring of the name, in any PEP 503 spelling"),
        OpenApiParameter("package_version", str),
        OpenApiParameter("status", str, enum=list(STATUSES)),
        OpenApiParameter("order_by", str, enum=orders),
        OpenApiParameter("sort", str, enum=["asc", "desc"]),
        OpenApiParameter("page", int), OpenApiParameter("per_page", int),
    ]
    if group:
        parameters.append(OpenApiParameter("exclude_subgroups", OpenApiTypes.BOOL))
    return parameters


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
    last_downloaded_at = GitLabDateTimeField(allow_null=True)
    tags = serializers.SerializerMethodField()
    # Our extension (PEP 592): whether the version is yanked, and why (null when it is not).
    yanked = serializers.BooleanField()
    yanked_reason = serializers.SerializerMethodField()

    @extend_schema_field({"type": "string", "nullable": True})
    def get_yanked_reason(self, package: Package) -> str | None:
        return package.yanked_reason if package.yanked else None

    # Our extension: downloads of every file of this version, folded in from the cache at most
    # REGISTRY_DOWNLOAD_FOLD_INTERVAL_SECONDS late (packages_pypi.downloads).
    downloads = serializers.IntegerField()

    def get_package_type(self, package: Package) -> str:
        return "pypi"

    @extend_schema_field({"type": "array", "items": {"type": "string"}})
    def get_tags(self, package: Package) -> list:
        return []

    @extend_schema_field({"type": "object", "additionalProperties": {"type": "string"}})
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


class PackageVersionOutput(serializers.Serializer):
    """Another version of a package's name, in GitLab's PackageDetail."""

    id = serializers.IntegerField()
    version = serializers.CharField()
    created_at = GitLabDateTimeField()
    pipelines = serializers.SerializerMethodField()

    @extend_schema_field({"type": "array", "items": {"type": "object"}})
    def get_pipelines(self, package: Package) -> list:
        return []


class PackageDetailOutput(PackageOutput):
    """GitLab's PackageDetail: the package and the other versions of its name."""

    versions = serializers.SerializerMethodField()

    @extend_schema_field(PackageVersionOutput(many=True))
    def get_versions(self, package: Package) -> list:
        return list(PackageVersionOutput(selectors.package_versions(package), many=True).data)


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
    downloads = serializers.IntegerField()  # our extension, as on the package

    @extend_schema_field({"type": "string", "nullable": True})
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

    @extend_schema(parameters=_list_parameters(group=False),
                   responses={200: PackageOutput(many=True)})
    def get(self, request: Request, ref: str) -> Response:
        project = access_project(principal_of(request), ref, Ability.READ_PACKAGE)
        packages = selectors.project_packages_list(project=project, filters=_filters(request))
        context = _context(request, project)
        return paginated(request, packages, many(PackageOutput, context))


class ProjectPackageDetailApi(APIView):
    """GET /projects/:id/packages/:package_id (with `versions`) and DELETE (maintainer: 204)."""

    @extend_schema(responses={200: PackageDetailOutput})
    def get(self, request: Request, ref: str, package_id: str) -> Response:
        package = _package(request, ref, package_id, Ability.READ_PACKAGE)
        context = _context(request, package.project)
        return Response(PackageDetailOutput(package, context=context).data)

    @extend_schema(responses={204: None})
    def delete(self, request: Request, ref: str, package_id: str) -> Response:
        package = _package(request, ref, package_id, Ability.DESTROY_PACKAGE)
        access_package_delete(principal_of(request), package.project, package.name)
        services.package_destroy(package=package, actor=principal_of(request))
        return Response(status=204)


class PackageFileListApi(APIView):
    """GET /projects/:id/packages/:package_id/package_files."""

    @extend_schema(
        parameters=[OpenApiParameter("page", int), OpenApiParameter("per_page", int)],
        responses={200: PackageFileOutput(many=True)},
    )
    def get(self, request: Request, ref: str, package_id: str) -> Response:
        package = _package(request, ref, package_id, Ability.READ_PACKAGE)
        files = selectors.package_files_list(package=package)
        return paginated(request, files, many(PackageFileOutput))


class PackageFileDeleteApi(APIView):
    """DELETE /projects/:id/packages/:package_id/package_files/:file_id (maintainer: 204)."""

    @extend_schema(responses={204: None})
    def delete(self, request: Request, ref: str, package_id: str, file_id: str) -> Response:
        package = _package(request, ref, package_id, Ability.DESTROY_PACKAGE)
        access_package_delete(principal_of(request), package.project, package.name)
        package_file = selectors.package_files_list(package=package).filter(pk=file_id).first()
        if package_file is None:
            raise NotFound("Package File")
        services.package_file_destroy(package_file=package_file, actor=principal_of(request))
        return Response(status=204)


class GroupPackageListApi(APIView):
    """GET /groups/:id/packages: every readable project in the tree (`exclude_subgroups`)."""

    @extend_schema(parameters=_list_parameters(group=True),
                   responses={200: GroupPackageOutput(many=True)})
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
