"""The access policy as a matrix: visibility x principal x ability -> decision."""

import datetime

import pytest

from auth_tokens.models import DeployToken
from auth_tokens.services import ci_job_start, deploy_token_issue
from projects.access import (
    Ability,
    access_level,
    can,
    readable_groups,
    readable_projects,
    visible_projects,
)
from projects.models import ProjectMember
from projects.principals import Principal
from projects.roles import AccessLevel, FeatureAccess, Visibility
from tests.factories import add_member, make_group, make_project, make_user

pytestmark = pytest.mark.django_db

R_PROJECT, R_PACKAGE = Ability.READ_PROJECT, Ability.READ_PACKAGE
CREATE, DESTROY, ADMIN = Ability.CREATE_PACKAGE, Ability.DESTROY_PACKAGE, Ability.ADMIN_PROJECT
ABILITIES = (R_PROJECT, R_PACKAGE, CREATE, DESTROY, ADMIN)
READ = {R_PROJECT, R_PACKAGE}
NOTHING: set = set()

# What each principal may do on a project of each visibility (spec gitlab-pypi.md §2.2-2.4).
# Columns: private, internal, public.
EXPECTED = {
    "anonymous": (NOTHING, NOTHING, READ),
    "signed-in stranger": (NOTHING, READ, READ),
    "guest": (READ, READ, READ),
    "reporter": (READ, READ, READ),
    "developer": (READ | {CREATE},) * 3,
    "maintainer": (READ | {CREATE, DESTROY, ADMIN},) * 3,
    "owner": (READ | {CREATE, DESTROY, ADMIN},) * 3,
    "developer by inheritance from a parent group": (READ | {CREATE},) * 3,
    "expired maintainer": (NOTHING, READ, READ),
    "admin": (set(ABILITIES),) * 3,
    "blocked developer": (NOTHING,) * 3,
    "project deploy token, read": (READ,) * 3,
    "project deploy token, write": (READ | {CREATE, DESTROY},) * 3,
    "deploy token of another project": (NOTHING, NOTHING, READ),
    "group deploy token, read": (READ,) * 3,
    "group deploy token, write": (READ | {CREATE, DESTROY},) * 3,
    "job token of a developer, own project": (READ | {CREATE},) * 3,
    "job token of a developer, other project": (NOTHING, READ, READ),
}
GROUP_ALL = {Ability.READ_GROUP, R_PACKAGE, DESTROY, Ability.ADMIN_GROUP}
VISIBILITIES = (Visibility.PRIVATE, Visibility.INTERNAL, Visibility.PUBLIC)


def _principal(kind: str, project, other_project) -> Principal:
    roles = {"guest": 10, "reporter": 20, "developer": 30, "maintainer": 40, "owner": 50}
    if kind == "anonymous":
        return Principal.anonymous()
    if kind in roles:
        user = make_user()
        add_member(project, user, roles[kind])
        return Principal.for_user(user)
    if kind == "signed-in stranger":
        return Principal.for_user(make_user())
    if kind == "developer by inheritance from a parent group":
        user = make_user()
        add_member(project.namespace.parent, user, AccessLevel.DEVELOPER)
        return Principal.for_user(user)
    if kind == "expired maintainer":
        user = make_user()
        add_member(project, user, AccessLevel.MAINTAINER)
        ProjectMember.objects.filter(user=user).update(
            expires_at=datetime.date.today() - datetime.timedelta(days=1)
        )
        return Principal.for_user(user)
    if kind == "admin":
        return Principal.for_user(make_user(is_admin=True))
    if kind == "blocked developer":
        user = make_user()
        add_member(project, user, AccessLevel.DEVELOPER)
        user.state = user.State.BLOCKED
        user.save()
        return Principal.for_user(user)
    if kind.startswith(("project deploy token", "deploy token of", "group deploy token")):
        owner = {"project": project, "deploy": other_project, "group": project.namespace.parent}
        scope = "write_package_registry" if kind.endswith("write") else "read_package_registry"
        token, _ = deploy_token_issue(owner=owner[kind.split()[0]], name="d", scopes=[scope])
        return Principal.for_deploy_token(DeployToken.objects.get(pk=token.pk))
    user = make_user()
    add_member(project, user, AccessLevel.DEVELOPER)
    add_member(other_project, user, AccessLevel.DEVELOPER)
    job_project = project if kind.endswith("own project") else other_project
    job, _ = ci_job_start(project=job_project, user=user)
    return Principal.for_job(job)


@pytest.fixture
def tree():
    """A public root group; the subject project's group carries the visibility under test."""
    root = make_group("root", visibility=Visibility.PUBLIC)
    other_group = make_group("elsewhere", visibility=Visibility.PRIVATE)
    other_project = make_project("other", namespace=other_group, visibility=Visibility.PRIVATE)
    return root, other_project


@pytest.mark.parametrize("visibility_index", range(3), ids=["private", "internal", "public"])
@pytest.mark.parametrize("kind", list(EXPECTED))
def test_policy_matrix(tree, kind, visibility_index):
    root, other_project = tree
    visibility = VISIBILITIES[visibility_index]
    group = make_group(parent=root, visibility=visibility)
    project = make_project("subject", namespace=group, visibility=visibility)
    principal = _principal(kind, project, other_project)

    allowed = {ability for ability in ABILITIES if can(principal, ability, project)}

    assert allowed == EXPECTED[kind][visibility_index]
    # The query form of the policy lists exactly the projects can() lets read packages.
    listed = set(readable_projects(principal, root))
    assert (project in listed) == (R_PACKAGE in allowed)
    # And the forms the lists use: every project seen, every group seen.
    assert (project in visible_projects(principal)) == (R_PROJECT in allowed)
    assert (group in readable_groups(principal)) == can(principal, Ability.READ_GROUP, group)


def test_registry_public_lets_anyone_pull_from_a_private_project():
    project = make_project(visibility=Visibility.PRIVATE)
    project.package_registry_access_level = FeatureAccess.PUBLIC
    project.save()

    for principal in (Principal.anonymous(), Principal.for_user(make_user())):
        assert can(principal, R_PACKAGE, project)
        assert not can(principal, R_PROJECT, project)
        assert not can(principal, CREATE, project)


def test_registry_private_keeps_packages_of_a_public_project_for_members():
    project = make_project(visibility=Visibility.PUBLIC)
    project.package_registry_access_level = FeatureAccess.PRIVATE
    project.save()
    guest = make_user()
    add_member(project, guest, AccessLevel.GUEST)

    assert not can(Principal.anonymous(), R_PACKAGE, project)
    assert can(Principal.anonymous(), R_PROJECT, project)
    assert can(Principal.for_user(guest), R_PACKAGE, project)


def test_disabled_registry_allows_no_package_ability_even_to_owners():
    project = make_project(visibility=Visibility.PUBLIC)
    project.package_registry_access_level = FeatureAccess.DISABLED
    project.save()
    owner = make_user()
    add_member(project, owner, AccessLevel.OWNER)

    for ability in (R_PACKAGE, CREATE, DESTROY):
        assert not can(Principal.for_user(owner), ability, project)
    assert can(Principal.for_user(owner), ADMIN, project)
    assert project not in readable_projects(Principal.for_user(owner), project.namespace)


@pytest.mark.parametrize(
    ("visibility", "kind", "expected"),
    [
        (Visibility.PUBLIC, "anonymous", {Ability.READ_GROUP, R_PACKAGE}),
        (Visibility.INTERNAL, "anonymous", set()),
        (Visibility.INTERNAL, "stranger", {Ability.READ_GROUP, R_PACKAGE}),
        (Visibility.PRIVATE, "stranger", set()),
        (Visibility.PRIVATE, "guest", {Ability.READ_GROUP, R_PACKAGE}),
        (Visibility.PRIVATE, "maintainer", {Ability.READ_GROUP, R_PACKAGE, DESTROY}),
        (Visibility.PRIVATE, "owner", GROUP_ALL),
        (Visibility.PRIVATE, "member of a project inside", {Ability.READ_GROUP}),
        (Visibility.PRIVATE, "group deploy token", {Ability.READ_GROUP, R_PACKAGE}),
        (Visibility.PRIVATE, "admin", GROUP_ALL),
    ],
)
def test_group_policy(visibility, kind, expected):
    group = make_group(visibility=visibility)
    project = make_project(namespace=group, visibility=Visibility.PRIVATE)
    user = make_user(is_admin=kind == "admin")
    principal = Principal.for_user(user)
    if kind == "anonymous":
        principal = Principal.anonymous()
    elif kind in {"guest", "maintainer", "owner"}:
        add_member(group, user, {"guest": 10, "maintainer": 40, "owner": 50}[kind])
    elif kind == "member of a project inside":
        add_member(project, user, AccessLevel.DEVELOPER)
    elif kind == "group deploy token":
        token, _ = deploy_token_issue(owner=group, name="d", scopes=["read_package_registry"])
        principal = Principal.for_deploy_token(token)
    group_abilities = (Ability.READ_GROUP, R_PACKAGE, DESTROY, Ability.ADMIN_GROUP, CREATE)

    allowed = {ability for ability in group_abilities if can(principal, ability, group)}

    assert allowed == expected
    assert (group in readable_groups(principal)) == (Ability.READ_GROUP in allowed)


def test_subgroup_member_does_not_gain_the_parent_group():
    parent = make_group(visibility=Visibility.PRIVATE)
    child = make_group(parent=parent, visibility=Visibility.PRIVATE)
    sibling = make_group(parent=parent, visibility=Visibility.PRIVATE)
    user = make_user()
    add_member(child, user, AccessLevel.OWNER)
    principal = Principal.for_user(user)

    assert access_level(principal, child) == AccessLevel.OWNER
    assert access_level(principal, parent) == AccessLevel.NO_ACCESS
    assert not can(principal, R_PACKAGE, parent)
    assert not can(principal, Ability.READ_GROUP, sibling)


def test_access_level_is_memoised_per_principal(django_assert_num_queries):
    project = make_project(visibility=Visibility.PRIVATE)
    user = make_user()
    add_member(project, user, AccessLevel.DEVELOPER)
    principal = Principal.for_user(user)

    with django_assert_num_queries(1):
        for ability in ABILITIES:
            can(principal, ability, project)


def test_readable_projects_is_one_query_whatever_the_tree_size(django_assert_max_num_queries):
    root = make_group(visibility=Visibility.PUBLIC)
    user = make_user()
    for index in range(12):
        group = make_group(parent=root, visibility=Visibility.PRIVATE)
        project = make_project(namespace=group, visibility=Visibility.PRIVATE)
        add_member(group if index % 2 else project, user, AccessLevel.REPORTER)
    principal = Principal.for_user(user)

    with django_assert_max_num_queries(2):
        assert len(list(readable_projects(principal, root))) == 12
