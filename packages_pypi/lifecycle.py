"""Yanks (PEP 592) and project status markers (PEP 792): the writes.

Every write bumps the project's package serial in its own transaction, so no cached index page
shows the old state once the write has returned. Each write is one service function, so an audit
event can be recorded next to it.
"""

from django.db import transaction

from packages_pypi.models import Package, PackageNameStatus, ProjectStatus
from packages_pypi.services import packages_serial_bump
from projects.access import Ability, can
from projects.audit.services import audit_event_record
from projects.models import Project, User
from projects.principals import Principal
from registry.http.exceptions import Forbidden

Actor = Principal | User | None  # who acts, for the audit log (None: the system)


@transaction.atomic
def package_yank(*, package: Package, reason: str, actor: Actor = None) -> Package:
    """Yank a version (all its files): pip and uv skip it unless it is pinned with `==`."""
    package.yanked, package.yanked_reason = True, reason
    package.save(update_fields=["yanked", "yanked_reason", "updated_at"])
    packages_serial_bump([package.project_id])
    _package_event(actor, package, "yanked", {"reason": reason})
    return package


@transaction.atomic
def package_unyank(*, package: Package, actor: Actor = None) -> Package:
    """Undo a yank: the version is offered again as any other."""
    package.yanked, package.yanked_reason = False, ""
    package.save(update_fields=["yanked", "yanked_reason", "updated_at"])
    packages_serial_bump([package.project_id])
    _package_event(actor, package, "unyanked", {})
    return package


def _package_event(actor: Actor, package: Package, verb: str, details: dict) -> None:
    audit_event_record(
        author=actor, entity=package.project, target=package,
        event_name=f"package_registry_package_{verb}",
        target_details=f"{package.name} {package.version}",
        message=f"Pypi package {package.name} {package.version} {verb}",
        details={"package_name": package.name, "version": package.version, **details},
    )


def access_name_status_change(principal: Principal, project: Project, *, old: str,
                              new: str) -> None:
    """Raise Forbidden unless `principal` may move a name from `old` to `new`.

    Maintainers set active, deprecated and archived; entering or lifting a quarantine is for
    administrators only (it hides files from everyone else).
    """
    if ProjectStatus.QUARANTINED in (old, new):
        if not can(principal, Ability.QUARANTINE_PACKAGE, project):
            raise Forbidden("only an administrator can quarantine a package or lift it")
    elif not can(principal, Ability.ADMIN_PACKAGE, project):
        raise Forbidden()


@transaction.atomic
def package_name_status_set(
    *, project: Project, normalized_name: str, status: str, reason: str, user: User | None,
    actor: Actor = None,
) -> PackageNameStatus:
    """Set the PEP 792 status of a name in `project` (callers check access first)."""
    old = PackageNameStatus.objects.filter(
        project=project, normalized_name=normalized_name
    ).values_list("status", flat=True).first() or ProjectStatus.ACTIVE
    row, _ = PackageNameStatus.objects.update_or_create(
        project=project, normalized_name=normalized_name,
        defaults={"status": status, "reason": reason if status != ProjectStatus.ACTIVE else "",
                  "updated_by": user},
    )
    packages_serial_bump([project.pk])
    audit_event_record(
        author=actor if actor is not None else user, entity=project, target=row,
        event_name="package_registry_name_status_changed", target_details=normalized_name,
        message=f"Changed the status of {normalized_name} from {old} to {status}",
        details={"change": "status", "from": old, "to": status, "reason": row.reason},
    )
    return row
