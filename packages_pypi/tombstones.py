"""Tombstones: names deleted from a top-level group's tree stay known to the forwarding guard.

GitLab forwards any name its registry lacks, so deleting the last private copy of a name (by a
user, the API or a cleanup) lets whoever registers it on pypi.org serve it to the same
`pip install` (GitLab's docs warn about it). A tombstone keeps such a name from ever going
upstream until an administrator releases it.
"""

from collections.abc import Iterable

from django.db import transaction
from django.db.models import Exists, Q, QuerySet
from django.utils import timezone

from packages_pypi.models import Package, PackageTombstone
from projects.audit.services import audit_event_record
from projects.models import Group, Project, User


def _root(project: Project) -> Group:
    return Group.objects.get(full_path=project.namespace.ancestor_paths[0])


def _in_tree(root: Group) -> Q:
    return Q(project__namespace__full_path=root.full_path) | Q(
        project__namespace__full_path__startswith=f"{root.full_path}/"
    )


def tombstones_record(*, project: Project, normalized_names: Iterable[str],
                      leaving: QuerySet[Project] | None = None) -> None:
    """Record a tombstone for each name no longer held anywhere in `project`'s top-level tree
    (besides the `leaving` projects, about to be deleted). Call inside the deleting transaction.
    """
    names = set(normalized_names)
    if not names:
        return
    root = _root(project)
    remaining = Package.objects.filter(_in_tree(root), normalized_name__in=names)
    if leaving is not None:
        remaining = remaining.exclude(project__in=leaving)
    held = set(remaining.values_list("normalized_name", flat=True))
    known = set(PackageTombstone.objects.filter(
        group=root, normalized_name__in=names, released_at=None
    ).values_list("normalized_name", flat=True))
    PackageTombstone.objects.bulk_create([
        PackageTombstone(group=root, normalized_name=name, deleted_from=project.full_path)
        for name in sorted(names - held - known)
    ], ignore_conflicts=True)


def tombstones_for_projects(projects: QuerySet[Project]) -> None:
    """The `projects.cleanup` hook: the names of projects about to be deleted."""
    by_project: dict[int, set[str]] = {}
    rows = Package.objects.filter(project__in=projects).values_list("project_id",
                                                                   "normalized_name")
    for project_id, name in rows:
        by_project.setdefault(project_id, set()).add(name)
    for project in Project.objects.filter(pk__in=by_project).select_related("namespace"):
        tombstones_record(project=project, normalized_names=by_project[project.pk],
                          leaving=projects)


def name_known_in_tree(group: Group, normalized_name: str) -> bool:
    """Whether `group`'s top-level tree holds this name, or held it (an unreleased tombstone).

    One query, so the forwarding guard costs what it did before tombstones.
    """
    root = group.ancestor_paths[0]
    held = Package.objects.filter(_in_tree(Group(full_path=root)),
                                  normalized_name=normalized_name)
    buried = PackageTombstone.objects.filter(
        group__full_path=root, normalized_name=normalized_name, released_at=None
    )
    return Group.objects.filter(Q(full_path=root), Exists(held) | Exists(buried)).exists()


@transaction.atomic
def tombstone_release(*, tombstone: PackageTombstone, user: User) -> PackageTombstone:
    """Release a tombstone (administrators, in the Django admin): the name may be forwarded
    again. The row stays, with who released it and when."""
    tombstone.released_at, tombstone.released_by = timezone.now(), user
    tombstone.save(update_fields=["released_at", "released_by"])
    audit_event_record(
        author=user, entity=tombstone.group, target=tombstone,
        event_name="package_tombstone_released", target_details=tombstone.normalized_name,
        message=f"Released {tombstone.normalized_name}: it may be forwarded upstream again",
        details={"deleted_from": tombstone.deleted_from},
    )
    return tombstone
