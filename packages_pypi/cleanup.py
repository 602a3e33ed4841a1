"""Cleanup policies: which old versions a project's policy removes, previewed or done.

A policy keeps the newest N versions of each name, and/or removes versions older than D days
that nobody downloaded for D days. Whatever it says, a cleanup never removes:
- the newest version of a name, nor its newest version that is not yanked, so a name is never
  left empty or with yanked versions only (pinned builds keep working, new ones find a release);
- a name whose protection rule asks more than a maintainer to delete it (the cleanup acts as a
  maintainer would, so a rule that lets maintainers delete lets the cleanup too).
The preview and the run share one plan, so a dry run lists exactly what the run removes.
"""

import datetime
from collections.abc import Iterable

from django.db import transaction
from django.utils import timezone

from packages_pypi.models import INSTALLABLE, Package, PackageCleanupPolicy, PackageFile
from packages_pypi.protection import delete_level_for
from packages_pypi.selectors import version_key
from packages_pypi.services import blobs_remove_on_commit, packages_serial_bump
from packages_pypi.tombstones import tombstones_record
from projects.audit.services import audit_event_record
from projects.models import Project, User
from projects.principals import Principal
from projects.roles import AccessLevel


def cleanup_policy_get(project: Project) -> PackageCleanupPolicy:
    """The project's policy; an unsaved, disabled one when none was ever set."""
    policy = PackageCleanupPolicy.objects.filter(project=project).first()
    return policy or PackageCleanupPolicy(project=project)


@transaction.atomic
def cleanup_policy_update(
    *, project: Project, enabled: bool, keep_n_versions: int | None,
    older_than_days: int | None, actor: Principal | User | None = None,
) -> PackageCleanupPolicy:
    """Set the project's cleanup policy."""
    policy, _ = PackageCleanupPolicy.objects.update_or_create(
        project=project, defaults={"enabled": enabled, "keep_n_versions": keep_n_versions,
                                   "older_than_days": older_than_days},
    )
    audit_event_record(
        author=actor, entity=project, target=policy, event_name="package_cleanup_policy_updated",
        target_details=project.full_path, message="Package cleanup policy updated",
        details={"enabled": enabled, "keep_n_versions": keep_n_versions,
                 "older_than_days": older_than_days},
    )
    return policy


def cleanup_plan(policy: PackageCleanupPolicy, *,
                 now: datetime.datetime | None = None) -> list[Package]:
    """The versions the policy removes now, by name then newest first (two queries)."""
    if not policy.enabled or (policy.keep_n_versions is None and policy.older_than_days is None):
        return []
    packages = Package.objects.filter(project=policy.project, status__in=INSTALLABLE)
    by_name: dict[str, list[Package]] = {}
    for package in packages.select_related("project").order_by("normalized_name", "pk"):
        by_name.setdefault(package.normalized_name, []).append(package)
    cutoff = None
    if policy.older_than_days is not None:
        cutoff = (now or timezone.now()) - datetime.timedelta(days=policy.older_than_days)
    removed: list[Package] = []
    for name, versions in by_name.items():
        level = delete_level_for(policy.project, name)
        if level is not None and level > AccessLevel.MAINTAINER:
            continue
        removed += _removable(sorted(versions, key=version_key, reverse=True),
                              policy.keep_n_versions, cutoff)
    return removed


def _removable(newest_first: list[Package], keep_n: int | None,
               cutoff: datetime.datetime | None) -> list[Package]:
    kept = {newest_first[0].pk}
    unyanked = next((p for p in newest_first if not p.yanked), None)
    if unyanked is not None:
        kept.add(unyanked.pk)
    if keep_n is not None:
        kept.update(p.pk for p in newest_first[:keep_n])
    return [p for p in newest_first if p.pk not in kept and _stale(p, cutoff)]


def _stale(package: Package, cutoff: datetime.datetime | None) -> bool:
    """Old enough and not downloaded since the cutoff (always, without an age rule)."""
    if cutoff is None:
        return True
    downloaded = package.last_downloaded_at
    return package.created_at < cutoff and (downloaded is None or downloaded < cutoff)


@transaction.atomic
def cleanup_run(*, policy: PackageCleanupPolicy,
                now: datetime.datetime | None = None) -> list[Package]:
    """Remove what the policy's plan lists; blobs go once the rows' deletion has committed."""
    removed = cleanup_plan(policy, now=now)
    if not removed:
        return []
    ids = [package.pk for package in removed]
    blobs_remove_on_commit(PackageFile.objects.filter(package_id__in=ids))
    packages_serial_bump([policy.project_id])
    for package in removed:
        audit_event_record(
            author=None, author_name="Package cleanup policy", entity=policy.project,
            target=package, event_name="package_registry_package_deleted",
            target_details=f"{package.name} {package.version}",
            message=f"Pypi package {package.name} {package.version} deleted by the cleanup policy",
            details={"package_name": package.name, "version": package.version},
        )
    Package.objects.filter(pk__in=ids).delete()
    tombstones_record(project=policy.project,
                      normalized_names={package.normalized_name for package in removed})
    return removed


def policies_enabled(project_ref: str | None = None) -> Iterable[PackageCleanupPolicy]:
    """Every enabled policy (of one project, by id or full path, when given)."""
    policies = PackageCleanupPolicy.objects.filter(enabled=True).select_related(
        "project", "project__namespace"
    )
    if project_ref is not None:
        key = "project_id" if project_ref.isdigit() else "project__full_path"
        policies = policies.filter(**{key: project_ref})
    return policies.order_by("project__full_path")
