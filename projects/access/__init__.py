"""The one access policy: who may read or write what (`policy`), the same rules as query
conditions for lists (`queries`), and the one reading of the member tables (`memberships`).

No module outside this package builds a visibility or membership condition. The names are
re-exported here so that a caller imports `projects.access` whatever room a rule lives in.
"""

from projects.access.audit_events import (
    audit_events_readable,
    audit_events_readable_in_group,
    audit_events_readable_in_project,
)
from projects.access.instance import access_application_settings
from projects.access.memberships import unexpired
from projects.access.policy import (
    Ability,
    access_group,
    access_level,
    access_member_change,
    access_members_of,
    access_project,
    can,
    can_manage_members,
    job_user_allowed,
    member_change_allowed,
    package_protection_allows,
    scopes_grantable,
)
from projects.access.queries import (
    groups_allowing,
    member_groups_filter,
    member_projects_filter,
    packages_readable_filter,
    quarantine_readers_filter,
    readable_groups,
    readable_projects,
    readable_projects_filter,
    readable_under_filter,
    visible_projects,
)

__all__ = [
    "Ability",
    "access_application_settings",
    "access_group",
    "access_level",
    "access_member_change",
    "access_members_of",
    "access_project",
    "audit_events_readable",
    "audit_events_readable_in_group",
    "audit_events_readable_in_project",
    "can",
    "can_manage_members",
    "groups_allowing",
    "job_user_allowed",
    "member_change_allowed",
    "member_groups_filter",
    "member_projects_filter",
    "package_protection_allows",
    "packages_readable_filter",
    "quarantine_readers_filter",
    "readable_groups",
    "readable_projects",
    "readable_projects_filter",
    "readable_under_filter",
    "scopes_grantable",
    "unexpired",
    "visible_projects",
]
