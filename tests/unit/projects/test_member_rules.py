"""GitLab's membership rules as a matrix (issue 9, finding 2), and the last Owner of a group."""

import datetime

import pytest

from projects.access import member_change_allowed
from projects.models import GroupMember
from projects.principals import Principal
from projects.roles import AccessLevel
from projects.services import member_add, member_remove, member_update
from registry.http.exceptions import Forbidden
from tests.factories import add_member, make_group, make_project, make_user

pytestmark = pytest.mark.django_db

GUEST, DEVELOPER, MAINTAINER, OWNER = 10, 30, 40, 50
NEW, REMOVED = None, None

# (caller's own level, member's level now (None: new), level asked (None: removal)) -> allowed
MATRIX = [
    # A Maintainer manages everyone up to Maintainer, and never an Owner.
    (MAINTAINER, NEW, DEVELOPER, True),
    (MAINTAINER, NEW, MAINTAINER, True),
    (MAINTAINER, NEW, OWNER, False),
    (MAINTAINER, DEVELOPER, MAINTAINER, True),
    (MAINTAINER, DEVELOPER, OWNER, False),
    (MAINTAINER, MAINTAINER, OWNER, False),  # raising oneself
    (MAINTAINER, OWNER, GUEST, False),  # demoting the Owner
    (MAINTAINER, OWNER, MAINTAINER, False),
    (MAINTAINER, OWNER, REMOVED, False),
    (MAINTAINER, DEVELOPER, REMOVED, True),
    # An Owner manages every level, Owners included.
    (OWNER, NEW, OWNER, True),
    (OWNER, OWNER, GUEST, True),
    (OWNER, OWNER, REMOVED, True),
    (OWNER, DEVELOPER, OWNER, True),
    # Nobody grants above their own level.
    (DEVELOPER, NEW, MAINTAINER, False),
    (DEVELOPER, NEW, DEVELOPER, True),
    (DEVELOPER, GUEST, DEVELOPER, True),
]


@pytest.mark.parametrize(("own", "old", "new", "allowed"), MATRIX)
@pytest.mark.parametrize("kind", ["project", "group"])
def test_who_may_set_which_level(kind, own, old, new, allowed):
    subject = make_project() if kind == "project" else make_group()
    caller = make_user()
    add_member(subject, caller, own)

    decision = member_change_allowed(
        Principal.for_user(caller), subject, old_level=old, new_level=new
    )

    assert decision is allowed


def test_an_inherited_owner_manages_owners_of_a_project():
    group = make_group()
    project = make_project(namespace=group)
    caller = make_user()
    add_member(group, caller, OWNER)

    assert member_change_allowed(
        Principal.for_user(caller), project, old_level=None, new_level=OWNER
    )


@pytest.mark.parametrize(("old", "new"), [(None, OWNER), (OWNER, None), (OWNER, GUEST)])
def test_admins_manage_owners_without_being_members(old, new):
    admin = Principal.for_user(make_user(is_admin=True))

    assert member_change_allowed(admin, make_project(), old_level=old, new_level=new)


@pytest.mark.parametrize("principal", ["anonymous", "blocked owner"])
def test_nobody_and_blocked_users_change_nothing(principal):
    project = make_project()
    if principal == "anonymous":
        caller = Principal.anonymous()
    else:
        user = make_user()
        add_member(project, user, OWNER)
        user.state = user.State.BLOCKED
        user.save()
        caller = Principal.for_user(user)

    assert not member_change_allowed(caller, project, old_level=None, new_level=GUEST)


def _owner_of(group):
    user = make_user()
    member_add(subject=group, user=user, access_level=OWNER)
    return GroupMember.objects.get(group=group, user=user)


def test_the_last_owner_of_a_group_cannot_be_demoted_or_removed():
    group = make_group()
    owner = _owner_of(group)

    with pytest.raises(Forbidden, match="last Owner"):
        member_update(member=owner, access_level=MAINTAINER)
    with pytest.raises(Forbidden, match="last Owner"):
        member_remove(member=owner)
    owner.refresh_from_db()
    assert owner.access_level == OWNER


def test_a_second_owner_or_an_owner_above_lets_an_owner_go():
    parent = make_group()
    group = make_group(parent=parent)
    owner = _owner_of(group)
    _owner_of(parent)  # inherited: still an Owner of the subgroup

    member_update(member=owner, access_level=DEVELOPER)
    assert GroupMember.objects.get(pk=owner.pk).access_level == DEVELOPER


def test_an_expired_owner_does_not_count_as_the_one_left():
    group = make_group()
    owner = _owner_of(group)
    expired = _owner_of(group)
    expired.expires_at = datetime.date(2000, 1, 1)
    expired.save()

    with pytest.raises(Forbidden):
        member_remove(member=owner)


def test_project_members_have_no_last_owner_rule():
    """A project's Owners may all go: the group's Owners still own it (GitLab)."""
    project = make_project()
    user = make_user()
    add_member(project, user, AccessLevel.OWNER)
    member = project.members.get(user=user)

    member_remove(member=member)
    assert not project.members.exists()
