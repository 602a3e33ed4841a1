"""List queries of the Packages API (doc/api/packages.md): filters, order and visibility."""

from dataclasses import dataclass

from django.db.models import F, QuerySet

from packages_pypi.models import Package, PackageFile
from projects.models import Project

# Every type GitLab knows; only pypi exists here, the others list as empty.
PACKAGE_TYPES = (
    "maven", "npm", "conan", "nuget", "pypi", "composer", "generic", "golang", "debian",
    "rubygems", "helm", "terraform_module", "rpm", "ml_model",
)
STATUSES = {label: value for value, label in Package.Status.choices}
STATUSES["deprecated"] = None  # GitLab's status we never set: lists as empty
# GitLab lists default, deprecated and error packages unless a status is asked for.
LISTED_BY_DEFAULT = (Package.Status.DEFAULT, Package.Status.ERROR)
ORDERS = {
    "created_at": ("created_at",),
    "name": ("normalized_name",),
    "version": ("canonical_version",),
    "type": ("created_at",),
    "project_path": ("project__full_path",),
}


@dataclass(frozen=True)
class PackageFilters:
    """The query parameters of a package list, already validated."""

    package_type: str | None = None
    package_name: str | None = None
    package_version: str | None = None
    status: str | None = None
    order_by: str = "created_at"
    sort: str = "asc"


def _filtered(packages: QuerySet[Package], filters: PackageFilters) -> QuerySet[Package]:
    if filters.package_type not in (None, "pypi"):
        return packages.none()
    if filters.package_name:
        packages = packages.filter(name__icontains=filters.package_name)
    if filters.package_version:
        packages = packages.filter(version=filters.package_version)
    if filters.status:
        status = STATUSES[filters.status]
        packages = packages.none() if status is None else packages.filter(status=status)
    else:
        packages = packages.filter(status__in=LISTED_BY_DEFAULT)
    order = [
        F(field).desc() if filters.sort == "desc" else F(field).asc()
        for field in ORDERS[filters.order_by]
    ]
    return packages.order_by(*order, "-id" if filters.sort == "desc" else "id")


def project_packages_list(*, project: Project, filters: PackageFilters) -> QuerySet[Package]:
    """The packages of one project, filtered and ordered as GitLab does."""
    return _filtered(Package.objects.filter(project=project), filters)


def group_packages_list(
    *, projects: QuerySet[Project], filters: PackageFilters
) -> QuerySet[Package]:
    """The packages of the given (readable) projects, with their projects for the paths."""
    packages = Package.objects.filter(project__in=projects).select_related("project")
    return _filtered(packages, filters)


def package_get(*, project: Project, package_id: str) -> Package | None:
    """A listed package of `project` (GitLab shows only default and deprecated ones)."""
    return Package.objects.filter(
        project=project, pk=int(package_id), status=Package.Status.DEFAULT
    ).first()


def package_versions(package: Package) -> QuerySet[Package]:
    """The other versions of the same name in the same project, for the single GET."""
    return (
        Package.objects.filter(
            project_id=package.project_id,
            normalized_name=package.normalized_name,
            status=Package.Status.DEFAULT,
        )
        .exclude(pk=package.pk)
        .order_by("-created_at", "-id")
    )


def package_files_list(*, package: Package) -> QuerySet[PackageFile]:
    """The live files of a package, oldest first."""
    return PackageFile.objects.filter(package=package, status=PackageFile.Status.DEFAULT).order_by(
        "id"
    )

