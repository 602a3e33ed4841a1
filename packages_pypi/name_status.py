"""PEP 792 project status of package names: the reads, and the upload check they imply."""

from dataclasses import dataclass

from django.db.models import Q

from packages_pypi.exceptions import InvalidUpload
from packages_pypi.models import PackageNameStatus, ProjectStatus
from projects.models import Project

# PEP 792: what blocks new files.
NO_UPLOADS = frozenset({ProjectStatus.ARCHIVED, ProjectStatus.QUARANTINED})
# Which status a group page shows when projects disagree: the one a user most needs to know.
_SEVERITY = [ProjectStatus.ACTIVE, ProjectStatus.DEPRECATED, ProjectStatus.ARCHIVED,
             ProjectStatus.QUARANTINED]


@dataclass(frozen=True)
class NameStatus:
    status: str = ProjectStatus.ACTIVE
    reason: str = ""


def name_status_get(project: Project, normalized_name: str) -> NameStatus:
    """The status of a name in one project (one query)."""
    row = PackageNameStatus.objects.filter(
        project=project, normalized_name=normalized_name
    ).values_list("status", "reason").first()
    return NameStatus(*row) if row else NameStatus()


def name_status_in(projects: Q, normalized_name: str) -> NameStatus:
    """The most severe status a name has in the projects matching `projects` (one query).

    A group page serves several projects' files under one name: it says the one that matters
    most (quarantined, then archived, then deprecated).
    """
    rows = PackageNameStatus.objects.filter(
        Q(project__in=Project.objects.filter(projects)), normalized_name=normalized_name
    ).values_list("status", "reason")
    found = [NameStatus(*row) for row in rows]
    return max(found, key=lambda s: _SEVERITY.index(ProjectStatus(s.status)),
               default=NameStatus())


def upload_status_check(project: Project, normalized_name: str) -> None:
    """Raise InvalidUpload (400) when the name is archived or quarantined (PEP 792)."""
    current = name_status_get(project, normalized_name)
    if current.status in NO_UPLOADS:
        detail = f": {current.reason}" if current.reason else ""
        raise InvalidUpload(
            f"The package {normalized_name!r} is {current.status} in this project and accepts "
            f"no new files{detail}"
        )
