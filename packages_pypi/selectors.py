"""Read-side queries for the simple index: plain values, a constant number of queries."""

import datetime
from dataclasses import dataclass

from django.db.models import Exists, Min, OuterRef, Q, QuerySet

from packages_pypi.models import Package, PackageFile
from projects.models import Group, Project

INSTALLABLE = (Package.Status.DEFAULT, Package.Status.HIDDEN)


@dataclass(frozen=True)
class IndexEntry:
    name: str
    normalized_name: str


@dataclass(frozen=True)
class FileEntry:
    filename: str
    sha256: str
    size: int
    requires_python: str
    upload_time: datetime.datetime
    core_metadata_sha256: str
    name: str
    version: str


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
    copy.children = [
        _rerooted(child, prefix) if isinstance(child, Q) else (prefix + child[0], child[1])
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


def file_entries(projects: Scope, normalized_name: str) -> list[FileEntry]:
    """Every installable file of every installable version of a name in scope (one query)."""
    files = (
        PackageFile.objects.filter(
            _through(projects, "package__project"),
            status=PackageFile.Status.DEFAULT,
            package__status__in=INSTALLABLE,
            package__normalized_name=normalized_name,
        )
        .order_by("package_id", "id")
        .values_list(
            "file_name", "sha256", "size", "requires_python", "created_at",
            "core_metadata_sha256", "package__name", "package__version",
            "package__requires_python",
        )
    )
    return [
        FileEntry(
            filename=filename, sha256=sha256, size=size,
            # A file's own Requires-Python wins over the package's (spec §1.8.2, newest GitLab).
            requires_python=file_requires or package_requires,
            upload_time=created_at, core_metadata_sha256=metadata_sha256,
            name=name, version=version,
        )
        for (filename, sha256, size, file_requires, created_at, metadata_sha256, name, version,
             package_requires) in files
    ]


def file_for_download(projects: Scope, sha256: str, filename: str) -> PackageFile | None:
    """The installable file with this digest and name in scope; the newest if several."""
    return (
        PackageFile.objects.filter(
            _through(projects, "package__project"),
            sha256=sha256.lower(),
            file_name=filename,
            status=PackageFile.Status.DEFAULT,
            package__status__in=INSTALLABLE,
        )
        .select_related("package")
        .order_by("-package_id", "-id")
        .first()
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


def name_exists_in_tree(group: Group, normalized_name: str) -> bool:
    """Whether any project under `group`'s top-level group has a package of this name.

    Counts projects the caller cannot see: forwarding such a name to pypi.org is GitLab's
    dependency-confusion hole (gitlab#384253).
    """
    root = group.ancestor_paths[0]
    return (
        Package.objects.filter(normalized_name=normalized_name)
        .filter(
            Q(project__namespace__full_path=root)
            | Q(project__namespace__full_path__startswith=f"{root}/")
        )
        .exists()
    )
