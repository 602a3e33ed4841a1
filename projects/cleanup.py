"""Work other apps must do when projects are deleted, registered by them (apps depend downward).

`packages_pypi` registers the removal of its blobs here in its AppConfig.ready(), so deleting
a project or a group never leaves files behind while `projects` knows nothing of packages.
"""

from collections.abc import Callable

from django.db.models import QuerySet

from projects.models import Project

ProjectsCleanup = Callable[[QuerySet[Project]], None]

_cleanups: list[ProjectsCleanup] = []


def on_projects_delete(cleanup: ProjectsCleanup) -> None:
    """Run `cleanup(projects)` inside the transaction that deletes those projects."""
    if cleanup not in _cleanups:
        _cleanups.append(cleanup)


def projects_deleting(projects: QuerySet[Project]) -> None:
    """Tell every registered cleanup which projects are about to be deleted."""
    for cleanup in _cleanups:
        cleanup(projects)
