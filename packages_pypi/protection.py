"""GitLab's package protection rules: their writes, their matching, and the check uploads and
deletes go through (the decision itself is the access policy's `package_protection_allows`).

Each write is one service function, so an audit event can be recorded next to it.
"""

import re

from django.db import IntegrityError, transaction
from packaging.utils import canonicalize_name

from packages_pypi.models import PackageProtectionRule
from projects.access import package_protection_allows
from projects.audit.services import audit_event_record
from projects.models import Project, User
from projects.principals import Principal
from registry.http.exceptions import Forbidden, UnprocessableEntity

# GitLab's level names and numbers (Gitlab::Access); the API speaks the names. GitLab takes
# only owner and admin for the delete level; we take maintainer there too (it restates the
# default, so accepting it is harmless and spares scripts a special case).
LEVELS = {"maintainer": 40, "owner": 50, "admin": 60}
LEVEL_NAMES = {number: name for name, number in LEVELS.items()}
PACKAGE_TYPES = ("pypi",)
# GitLab's PyPI pattern check: a PEP 503 name, in which `*` may stand for any run of characters.
_PATTERN = re.compile(r"^[A-Za-z0-9*](?:[A-Za-z0-9._*-]*[A-Za-z0-9*])?$")
PROTECTED_MESSAGE = "Package protected."


class RuleInvalid(UnprocessableEntity):
    """GitLab's 422 `{"message": {"error": [...]}}` for a rule the model refuses."""

    def __init__(self, *errors: str) -> None:
        super().__init__("; ".join(errors))
        self.errors = list(errors)

    @property
    def body(self) -> dict[str, object]:
        return {"message": {"error": self.errors}}


def _normalized_pattern(pattern: str) -> str:
    # GitLab normalises both sides with regexp_replace('[-_.]+', '-') and matches with ILIKE.
    return re.sub(r"[-_.]+", "-", pattern).lower()


def pattern_matches(pattern: str, normalized_name: str) -> bool:
    """Whether a rule's pattern (`*` wildcard) covers a PEP 503 name."""
    parts = [re.escape(part) for part in _normalized_pattern(pattern).split("*")]
    return re.fullmatch(".*".join(parts), canonicalize_name(normalized_name)) is not None


def rules_list(project: Project) -> list[PackageProtectionRule]:
    """A project's rules, oldest first (GitLab's list has no pagination)."""
    return list(PackageProtectionRule.objects.filter(project=project).order_by("id"))


def protection_rule_get(project: Project, rule_id: int) -> PackageProtectionRule | None:
    return PackageProtectionRule.objects.filter(project=project, pk=rule_id).first()


def _strictest(project: Project, normalized_name: str, field: str) -> int | None:
    """The highest minimum level any matching rule sets for `field` (one query)."""
    levels = [
        getattr(rule, field) for rule in rules_list(project)
        if getattr(rule, field) is not None and pattern_matches(rule.package_name_pattern,
                                                                normalized_name)
    ]
    return max(levels, default=None)


def access_package_push(principal: Principal, project: Project, name: str) -> None:
    """Raise Forbidden (GitLab's 403 "Package protected.") when a rule keeps `principal` from
    uploading `name` to `project`."""
    level = _strictest(project, canonicalize_name(name), "minimum_access_level_for_push")
    if not package_protection_allows(principal, project, minimum_level=level):
        raise Forbidden(PROTECTED_MESSAGE)


def access_package_delete(principal: Principal, project: Project, name: str) -> None:
    """Raise Forbidden when a rule keeps `principal` from deleting a package called `name`."""
    if not package_delete_allowed(principal, project, name):
        raise Forbidden(PROTECTED_MESSAGE)


def package_delete_allowed(principal: Principal, project: Project, name: str) -> bool:
    """Whether no rule keeps `principal` from deleting `name` (for the pages' buttons)."""
    level = _strictest(project, canonicalize_name(name), "minimum_access_level_for_delete")
    return package_protection_allows(principal, project, minimum_level=level)


def delete_level_for(project: Project, normalized_name: str) -> int | None:
    """The least level a matching rule requires to delete `normalized_name`, or None."""
    return _strictest(project, normalized_name, "minimum_access_level_for_delete")


def _validate(rule: PackageProtectionRule) -> None:
    if rule.package_type not in PACKAGE_TYPES:
        raise RuleInvalid("Package type is not included in the list")
    if len(rule.package_name_pattern) > 255 or not _PATTERN.match(rule.package_name_pattern):
        raise RuleInvalid("Package name pattern should be a valid PyPI package name with "
                          "optional wildcard characters.")
    if rule.minimum_access_level_for_push is None and rule.minimum_access_level_for_delete is None:
        raise RuleInvalid("A rule must have at least a minimum access role for push or delete.")


Actor = Principal | User | None  # who acts, for the audit log (None: the system)


def _saved(rule: PackageProtectionRule, actor: Actor, verb: str) -> PackageProtectionRule:
    _validate(rule)
    try:
        with transaction.atomic():
            rule.save()
            _rule_event(actor, rule, verb)
    except IntegrityError as error:
        raise RuleInvalid("Package name pattern has already been taken") from error
    return rule


def _rule_event(actor: Actor, rule: PackageProtectionRule, verb: str) -> None:
    audit_event_record(
        author=actor, entity=rule.project, target=rule,
        event_name=f"package_protection_rule_{verb}", target_details=rule.package_name_pattern,
        message=f"Package protection rule {rule.package_name_pattern} {verb}",
        details={"package_name_pattern": rule.package_name_pattern,
                 "minimum_access_level_for_push": rule.minimum_access_level_for_push,
                 "minimum_access_level_for_delete": rule.minimum_access_level_for_delete},
    )


def protection_rule_create(
    *, project: Project, package_name_pattern: str, package_type: str,
    minimum_access_level_for_push: int | None, minimum_access_level_for_delete: int | None,
    actor: Actor = None,
) -> PackageProtectionRule:
    """Add a rule; raises RuleInvalid (422) as GitLab's model would."""
    return _saved(PackageProtectionRule(
        project=project, package_name_pattern=package_name_pattern, package_type=package_type,
        minimum_access_level_for_push=minimum_access_level_for_push,
        minimum_access_level_for_delete=minimum_access_level_for_delete,
    ), actor, "created")


def protection_rule_update(*, rule: PackageProtectionRule, changes: dict[str, object],
                           actor: Actor = None) -> PackageProtectionRule:
    """Change some fields of a rule (GitLab's PATCH is a partial update)."""
    for field, value in changes.items():
        setattr(rule, field, value)
    return _saved(rule, actor, "updated")


@transaction.atomic
def protection_rule_delete(*, rule: PackageProtectionRule, actor: Actor = None) -> None:
    """Remove a rule."""
    _rule_event(actor, rule, "deleted")
    rule.delete()
