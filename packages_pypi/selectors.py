"""Read-side queries for every surface: the simple index, the Packages API and the package pages.

Plain values where the hot path needs them, a constant number of queries however large a
project or group grows.
"""

import dataclasses
import datetime
from collections.abc import Iterable
from dataclasses import dataclass

from django.db.models import (
    BooleanField,
    Count,
    Exists,
    ExpressionWrapper,
    F,
    Max,
    Min,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
)
from packaging.utils import canonicalize_name
from packaging.version import Version

from packages_pypi.models import (
    INSTALLABLE,
    Package,
    PackageFile,
    PackageNameStatus,
    ProjectStatus,
)
from packages_pypi.names import version_sort_key
from projects.models import Group, Project


@dataclass(frozen=True)
class IndexEntry:
    name: str
    normalized_name: str


@dataclass(frozen=True)
class FileEntry:
    filename: str
    sha256: str
    # None only for an upstream file whose HTML page gave no size and that we have not fetched.
    size: int | None
    requires_python: str
    # None where the source gives no upload time (an upstream page may not).
    upload_time: datetime.datetime | None
    core_metadata_sha256: str
    name: str
    version: str
    # PEP 592: None when the file is not yanked; "" when it is, without a reason.
    yanked_reason: str | None = None


# A scope is one project, a queryset of projects, or a condition on Project fields
# (`access.readable_projects_filter`), which lets a query driven by name or digest test only
# the projects it meets.
Scope = Project | QuerySet[Project] | Q


def _through(scope: Scope, relation: str) -> Q:
    """`scope` as a condition on a model that reaches Project through `relation`."""
    if isinstance(scope, Project):
        return Q(**{relation: scope})
    if isinstance(scope, Q):
        return _rerooted(scope, f"{relation}__")
    return Q(**{f"{relation}__in": scope})


def _rerooted(condition: Q, prefix: str) -> Q:
    copy = Q()
    copy.connector, copy.negated = condition.connector, condition.negated
    # A Q's children are Qs or (lookup, value) pairs; the stubs allow any tree node.
    copy.children = [
        _rerooted(child, prefix) if isinstance(child, Q)
        else (prefix + child[0], child[1])  # type: ignore[index]
        for child in condition.children
    ]
    return copy


def _installable_packages(projects: Scope) -> QuerySet[Package]:
    return Package.objects.filter(_through(projects, "project"), status__in=INSTALLABLE)


def index_entries(projects: Scope) -> list[IndexEntry]:
    """One entry per normalised name with an installable file, sorted (one query).

    GitLab lists one anchor per package version (spec §1.8.1 quirk); one per name is PEP 503.
    """
    rows = (
        _installable_packages(projects)
        .filter(files__status=PackageFile.Status.DEFAULT)
        .values("normalized_name")
        .annotate(name=Min("name"))
        .order_by("normalized_name")
    )
    return [IndexEntry(name=row["name"], normalized_name=row["normalized_name"]) for row in rows]


# Whose quarantined names nobody outside `access.quarantine_readers_filter` may read.
NOBODY = Q(pk__in=[])


def _not_quarantined(readers: Q) -> Q:
    """A condition on PackageFile: its name is not quarantined in its project, or its project is
    one of `readers` (a condition on Project: who may read quarantined names there). PEP 792:
    a quarantined name offers no file to anyone else, in the index or as a download."""
    quarantined = PackageNameStatus.objects.filter(
        project=OuterRef("package__project"),
        normalized_name=OuterRef("package__normalized_name"),
        status=ProjectStatus.QUARANTINED,
    )
    return ~Exists(quarantined) | _through(readers, "package__project")


def file_entries(
    projects: Scope, normalized_name: str, *, quarantine_readers: Q = NOBODY
) -> list[FileEntry]:
    """Every installable file of every installable version of a name in scope (one query);
    a quarantined name's files only for `quarantine_readers`."""
    files = (
        PackageFile.objects.filter(
            _through(projects, "package__project"),
            _not_quarantined(quarantine_readers),
            status=PackageFile.Status.DEFAULT,
            package__status__in=INSTALLABLE,
            package__normalized_name=normalized_name,
        )
        .order_by("package_id", "id")
        .values_list(
            "file_name", "sha256", "size", "requires_python", "created_at",
            "core_metadata_sha256", "package__name", "package__version",
            "package__requires_python", "package__yanked", "package__yanked_reason",
        )
    )
    return [
        FileEntry(
            filename=filename, sha256=sha256, size=size,
            # A file's own Requires-Python wins over the package's (spec §1.8.2, newest GitLab).
            requires_python=file_requires or package_requires,
            upload_time=created_at, core_metadata_sha256=metadata_sha256,
            name=name, version=version,
            # PEP 592 per file; a version's yank covers every file of it (as warehouse does).
            yanked_reason=yanked_reason if yanked else None,
        )
        for (filename, sha256, size, file_requires, created_at, metadata_sha256, name, version,
             package_requires, yanked, yanked_reason) in files
    ]


def projects_holding_marked(
    projects: Scope, normalized_name: str, marked: Q
) -> list[tuple[int, bool]]:
    """Ids of the projects in scope with a package of this name, in any state, each with
    whether it matches `marked` (one query). A group's page for a name is decided by these
    projects' files and by which of them the caller reads quarantined names of (`marked`):
    with the group's tree serial they are its cache key, however large the group."""
    return list(
        Package.objects.filter(_through(projects, "project"), normalized_name=normalized_name)
        .annotate(marked=ExpressionWrapper(_through(marked, "project"),
                                           output_field=BooleanField()))
        .order_by("project_id").values_list("project_id", "marked").distinct()
    )


def file_for_download(
    projects: Scope, sha256: str, filename: str, *, quarantine_readers: Q = NOBODY
) -> PackageFile | None:
    """The installable file with this digest and name in scope; the newest if several.

    A yanked file still downloads (PEP 592: a pinned install needs it); a quarantined one
    only for `quarantine_readers`.
    """
    return (
        PackageFile.objects.filter(
            _through(projects, "package__project"),
            _not_quarantined(quarantine_readers),
            sha256=sha256.lower(),
            file_name=filename,
            status=PackageFile.Status.DEFAULT,
            package__status__in=INSTALLABLE,
        )
        .select_related("package")
        .order_by("-package_id", "-id")
        .first()
    )


def with_package_count(projects: QuerySet[Project]) -> QuerySet[Project]:
    """`projects` annotated with `package_count`: their installable package names (one query)."""
    return projects.annotate(
        package_count=Count(
            "pypi_packages__normalized_name",
            distinct=True,
            filter=Q(pypi_packages__status__in=INSTALLABLE),
        )
    )


def hides_packages_in_tree(group: Group, readable: Q) -> bool:
    """Whether any project under `group`'s top-level group holds packages outside `readable`
    (a condition on Project fields: the projects whose packages the caller may read).

    One query, driven by the tree's projects, whatever the number of packages.
    """
    root = group.ancestor_paths[0]
    holds_packages = Exists(Package.objects.filter(project=OuterRef("pk")))
    return (
        Project.objects.filter(Q(full_path__startswith=f"{root}/"), holds_packages)
        .exclude(readable)
        .exists()
    )


# Every type GitLab knows; only pypi exists here, the others list as empty.
PACKAGE_TYPES = (
    "maven", "npm", "conan", "nuget", "pypi", "composer", "generic", "golang", "debian",
    "rubygems", "helm", "terraform_module", "rpm", "ml_model",
)
STATUSES: dict[str, int | None] = {label: value for value, label in Package.Status.choices}
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
        # GitLab's substring match on the name as uploaded, and the same on the PEP 503 form
        # (`Zqx.Newcomer_Dotty` finds `Zqx.Newcomer-Dotty`), so a clean-up script that spells
        # a name another way still sees every version.
        packages = packages.filter(
            Q(name__icontains=filters.package_name)
            | Q(normalized_name__contains=canonicalize_name(filters.package_name))
        )
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
    return version_sort_key(package.version)


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
            Q(name__icontains=search) | Q(normalized_name__icontains=canonicalize_name(search))
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
        # last_upload_at is _with_file_stats's annotation, which Package's type does not know.
        rows.sort(
            key=lambda row: getattr(row.latest, "last_upload_at", None)
            or row.latest.created_at or epoch
        )
    if sort.endswith("desc"):
        rows.reverse()
    return rows


def package_with_stats_get(project: Project, package_id: int) -> Package | None:
    """An installable package version of `project`, with file statistics, or None."""
    packages = Package.objects.filter(project=project, pk=package_id, status__in=INSTALLABLE)
    return _with_file_stats(packages.select_related("creator")).first()


def package_files(package: Package) -> list[PackageFile]:
    """The package's downloadable files, newest first."""
    files = package.files.filter(status=PackageFile.Status.DEFAULT)
    return list(files.select_related("uploaded_by", "deploy_token", "publishing_token").order_by(
        "-created_at", "pk"
    ))


def package_file_get(package: Package, file_id: int) -> PackageFile | None:
    return package.files.filter(pk=file_id, status=PackageFile.Status.DEFAULT).first()


def package_versions_sorted(package: Package) -> list[Package]:
    """Every installable version with the package's name in its project, newest first."""
    versions = Package.objects.filter(
        project_id=package.project_id,
        normalized_name=package.normalized_name,
        status__in=INSTALLABLE,
    )
    return sorted(_with_file_stats(versions), key=version_key, reverse=True)
