"""Read queries for the package pages of the web UI (the protocol has its own selectors)."""

import dataclasses
import datetime
from collections.abc import Iterable

from django.db.models import Count, Max, OuterRef, Q, QuerySet, Subquery, Sum
from packaging.version import InvalidVersion, Version

from packages_pypi.models import Package, PackageFile
from packages_pypi.names import normalize_name
from projects.models import Project

INSTALLABLE = (Package.Status.DEFAULT, Package.Status.HIDDEN)
LIVE_FILE = Q(files__status=PackageFile.Status.DEFAULT)
SORTS = {
    "created_desc": "Last uploaded",
    "created_asc": "First uploaded",
    "name_asc": "Name, A to Z",
    "name_desc": "Name, Z to A",
}
DEFAULT_SORT = "created_desc"


@dataclasses.dataclass(frozen=True)
class PackageRow:
    """One package name in a project: its latest version and how many versions it has."""

    latest: Package
    version_count: int

    @property
    def project(self) -> Project:
        return self.latest.project


def version_key(package: Package) -> tuple[int, Version | str]:
    """Sort key by PEP 440; a version that does not parse sorts below all that do."""
    try:
        return (1, Version(package.version))
    except InvalidVersion:
        return (0, package.version)


def _with_file_stats(packages: QuerySet[Package]) -> QuerySet[Package]:
    last_file = PackageFile.objects.filter(
        package=OuterRef("pk"), status=PackageFile.Status.DEFAULT
    ).order_by("-created_at", "-pk")
    return packages.annotate(
        file_count=Count("files", filter=LIVE_FILE),
        total_size=Sum("files__size", filter=LIVE_FILE),
        last_upload_at=Max("files__created_at", filter=LIVE_FILE),
        last_uploader=Subquery(last_file.values("uploaded_by__username")[:1]),
        last_deploy_token=Subquery(last_file.values("deploy_token__name")[:1]),
    )


def package_rows(
    projects: Iterable[Project] | QuerySet[Project], *, search: str = "", sort: str = DEFAULT_SORT
) -> list[PackageRow]:
    """Every package name in `projects` with its latest version, searched and sorted.

    One query: versions are grouped here because PEP 440 order is not SQL order.
    """
    packages = Package.objects.filter(project__in=projects, status__in=INSTALLABLE)
    if search:
        packages = packages.filter(
            Q(name__icontains=search) | Q(normalized_name__icontains=normalize_name(search))
        )
    packages = _with_file_stats(packages.select_related("project", "project__namespace"))
    by_name: dict[tuple[int, str], list[Package]] = {}
    for package in packages:
        by_name.setdefault((package.project_id, package.normalized_name), []).append(package)
    rows = [
        PackageRow(latest=max(versions, key=version_key), version_count=len(versions))
        for versions in by_name.values()
    ]
    return _sorted(rows, sort)


def _sorted(rows: list[PackageRow], sort: str) -> list[PackageRow]:
    if sort.startswith("name"):
        rows.sort(key=lambda row: (row.latest.normalized_name, row.project.full_path))
    else:
        epoch = datetime.datetime.min.replace(tzinfo=datetime.UTC)
        rows.sort(key=lambda row: row.latest.last_upload_at or row.latest.created_at or epoch)
    if sort.endswith("desc"):
        rows.reverse()
    return rows


def package_get(project: Project, package_id: int) -> Package | None:
    """An installable package version of `project`, with file statistics, or None."""
    packages = Package.objects.filter(project=project, pk=package_id, status__in=INSTALLABLE)
    return _with_file_stats(packages.select_related("creator")).first()


def package_files(package: Package) -> list[PackageFile]:
    """The package's downloadable files, newest first."""
    files = package.files.filter(status=PackageFile.Status.DEFAULT)
    return list(files.select_related("uploaded_by", "deploy_token").order_by("-created_at", "pk"))


def package_file_get(package: Package, file_id: int) -> PackageFile | None:
    return package.files.filter(pk=file_id, status=PackageFile.Status.DEFAULT).first()


def package_versions(package: Package) -> list[Package]:
    """Every installable version with the package's name in its project, newest first."""
    versions = Package.objects.filter(
        project_id=package.project_id,
        normalized_name=package.normalized_name,
        status__in=INSTALLABLE,
    )
    return sorted(_with_file_stats(versions), key=version_key, reverse=True)
