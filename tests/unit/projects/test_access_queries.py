"""Every list asks the one policy: each query form, and each list of the API, the UI and the
index, shows exactly what `can()` allows, for every kind of caller.

One tree of groups and projects with every visibility and registry setting; one caller per
kind, including an expired membership, a blocked user and revoked tokens. The expectation is
always computed from `can()` / `access_level()` on that tree, never written out by hand, so a
list that drifts from the policy fails here whichever way it drifts.
"""

import base64
import dataclasses
import datetime

import pytest
from django.core.cache import cache
from django.test import Client
from packaging.utils import canonicalize_name

from auth_tokens.services import ci_job_start, deploy_token_issue, token_revoke
from projects.access import (
    Ability,
    access_level,
    can,
    groups_allowing,
    member_groups_filter,
    member_projects_filter,
    packages_readable_filter,
    readable_groups,
    readable_projects,
    readable_projects_filter,
    readable_under_filter,
    visible_projects,
)
from projects.models import Group, GroupMember, Project, ProjectMember, User
from projects.principals import Principal
from projects.roles import AccessLevel, FeatureAccess, Visibility
from tests.factories import (
    add_member,
    make_group,
    make_pat,
    make_project,
    make_publishing_token,
    make_user,
)
from tests.ui_fixtures import make_package

pytestmark = pytest.mark.django_db

LEVELS = (AccessLevel.GUEST, AccessLevel.REPORTER, AccessLevel.DEVELOPER, AccessLevel.MAINTAINER,
          AccessLevel.OWNER)
YESTERDAY = datetime.date.today() - datetime.timedelta(days=1)
JSON_INDEX = {"HTTP_ACCEPT": "application/vnd.pypi.simple.v1+json"}


@pytest.fixture(autouse=True)
def _any_host(settings):
    settings.ALLOWED_HOSTS = ["*"]


@dataclasses.dataclass
class Tree:
    groups: list[Group]
    projects: list[Project]
    package_of: dict[int, str]  # project id -> the normalised name of its one package

    def fresh(self) -> None:
        """Reload, so no test reads a cached attribute the policy did not compute."""
        self.groups = list(Group.objects.order_by("pk"))
        self.projects = list(Project.objects.order_by("pk"))


def _project(path: str, group: Group, visibility: int, registry: int = FeatureAccess.ENABLED,
             ) -> Project:
    project = make_project(path, namespace=group, visibility=visibility)
    if registry != FeatureAccess.ENABLED:
        project.package_registry_access_level = registry
        project.save()
    return project


@pytest.fixture
def tree() -> Tree:
    """top (public)
         pub (public): app (public), members-only (public, registry private), off (disabled)
         int (internal): app (internal)
         priv (private): app (private), open (private, registry public)
           deep (private): app (private)
       hidden (private): app (private)"""
    top = make_group("top", visibility=Visibility.PUBLIC)
    pub = make_group("pub", parent=top, visibility=Visibility.PUBLIC)
    internal = make_group("int", parent=top, visibility=Visibility.INTERNAL)
    priv = make_group("priv", parent=top, visibility=Visibility.PRIVATE)
    deep = make_group("deep", parent=priv, visibility=Visibility.PRIVATE)
    hidden = make_group("hidden", visibility=Visibility.PRIVATE)
    projects = [
        _project("app", pub, Visibility.PUBLIC),
        _project("members-only", pub, Visibility.PUBLIC, FeatureAccess.PRIVATE),
        _project("off", pub, Visibility.PUBLIC, FeatureAccess.DISABLED),
        _project("app", internal, Visibility.INTERNAL),
        _project("app", priv, Visibility.PRIVATE),
        _project("open", priv, Visibility.PRIVATE, FeatureAccess.PUBLIC),
        _project("app", deep, Visibility.PRIVATE),
        _project("app", hidden, Visibility.PRIVATE),
    ]
    package_of = {}
    for project in projects:
        name = "pkg-" + project.full_path.replace("/", "-")
        make_package(project, name, "1.0")
        package_of[project.pk] = canonicalize_name(name)
    return Tree(groups=[top, pub, internal, priv, deep, hidden], projects=projects,
                package_of=package_of)


def _by_path(tree: Tree, full_path: str) -> Project | Group:
    for thing in [*tree.projects, *tree.groups]:
        if thing.full_path == full_path:
            return thing
    raise KeyError(full_path)


@dataclasses.dataclass
class Caller:
    """One kind of caller: who `can()` is asked about, and how it shows itself over HTTP."""

    principal: Principal
    headers: dict[str, str] = dataclasses.field(default_factory=dict)  # API and index
    session: User | None = None  # the web pages read the session only
    # Over the REST API, the Packages API and the index: None when `principal` is served,
    # else the status every such request gets (the principal's rights then do not matter).
    refused_everywhere: int | None = None
    # The user-level REST API (/projects, /groups) refuses deploy and job tokens.
    refused_by_rest: int | None = None


def _member(subject: Project | Group, user: User, level: int,
            expires_at: datetime.date | None = None) -> None:
    add_member(subject, user, level)
    model = ProjectMember if isinstance(subject, Project) else GroupMember
    field = "project" if isinstance(subject, Project) else "group"
    model.objects.filter(user=user, **{field: subject}).update(expires_at=expires_at)


def _user_caller(user: User, **fields: object) -> Caller:
    return Caller(principal=Principal.for_user(user),
                  headers={"HTTP_PRIVATE_TOKEN": make_pat(user)}, session=user, **fields)


def _deploy_caller(tree: Tree, owner_path: str, scopes: list[str]) -> Caller:
    token, secret = deploy_token_issue(owner=_by_path(tree, owner_path), name="d", scopes=scopes)
    return Caller(principal=Principal.for_deploy_token(token),
                  headers={"HTTP_DEPLOY_TOKEN": secret}, refused_by_rest=401)


def _job_caller(project: Project, user: User) -> Caller:
    job, secret = ci_job_start(project=project, user=user)
    return Caller(principal=Principal.for_job(job), headers={"HTTP_JOB_TOKEN": secret},
                  refused_by_rest=401)


def _publishing_caller(tree: Tree, user: User) -> Caller:
    project = _by_path(tree, "top/priv/app")
    assert isinstance(project, Project)
    token, secret = make_publishing_token(project)
    basic = base64.b64encode(f"__token__:{secret}".encode()).decode()
    return Caller(principal=Principal.for_publishing_token(token),
                  headers={"HTTP_AUTHORIZATION": f"Basic {basic}"}, refused_by_rest=401)


def _stranger(tree: Tree, user: User) -> Caller:
    return _user_caller(user)


def _project_guest(tree: Tree, user: User) -> Caller:
    _member(_by_path(tree, "top/priv/app"), user, AccessLevel.GUEST)
    _member(_by_path(tree, "top/pub/members-only"), user, AccessLevel.GUEST)
    return _user_caller(user)


def _group_developer(tree: Tree, user: User) -> Caller:
    _member(_by_path(tree, "top/priv"), user, AccessLevel.DEVELOPER)
    _member(_by_path(tree, "hidden/app"), user, AccessLevel.MAINTAINER)
    return _user_caller(user)


def _expired(tree: Tree, user: User) -> Caller:
    _member(_by_path(tree, "top/priv"), user, AccessLevel.OWNER, expires_at=YESTERDAY)
    _member(_by_path(tree, "hidden/app"), user, AccessLevel.DEVELOPER, expires_at=YESTERDAY)
    _member(_by_path(tree, "top/pub/members-only"), user, AccessLevel.GUEST, expires_at=YESTERDAY)
    return _user_caller(user)


def _expiring_today(tree: Tree, user: User) -> Caller:
    today = datetime.date.today()
    _member(_by_path(tree, "hidden/app"), user, AccessLevel.DEVELOPER, expires_at=today)
    return _user_caller(user)


def _blocked(tree: Tree, user: User) -> Caller:
    _member(_by_path(tree, "top/priv"), user, AccessLevel.DEVELOPER)
    caller = _user_caller(user, refused_everywhere=403)
    user.state = User.State.BLOCKED
    user.save()
    return caller


def _revoked_pat(tree: Tree, user: User) -> Caller:
    _member(_by_path(tree, "top/priv"), user, AccessLevel.DEVELOPER)
    caller = _user_caller(user, refused_everywhere=401)
    token_revoke(token=user.personal_access_tokens.get())
    caller.session = None  # a token is never a session: the pages see nobody
    return caller


def _revoked_deploy_token(tree: Tree, user: User) -> Caller:
    caller = _deploy_caller(tree, "top/priv", ["read_package_registry"])
    token_revoke(token=caller.principal.deploy_token)
    # In Basic auth a revoked deploy token is nobody (spec §2.1): it reads what anyone can.
    secret = caller.headers.pop("HTTP_DEPLOY_TOKEN")
    basic = base64.b64encode(f"deploy:{secret}".encode()).decode()
    caller.headers["HTTP_AUTHORIZATION"] = f"Basic {basic}"
    caller.principal = Principal.anonymous()
    caller.refused_by_rest = None
    return caller


def _developer_job(tree: Tree, user: User) -> Caller:
    _member(_by_path(tree, "top/priv/app"), user, AccessLevel.DEVELOPER)
    _member(_by_path(tree, "hidden/app"), user, AccessLevel.DEVELOPER)
    return _job_caller(_by_path(tree, "top/priv/app"), user)


CALLERS = {
    "anonymous": lambda tree, user: Caller(principal=Principal.anonymous()),
    "signed-in stranger": _stranger,
    "project guest": _project_guest,
    "group developer": _group_developer,
    "expired memberships": _expired,
    "membership expiring today": _expiring_today,
    "blocked user": _blocked,
    "admin": _stranger,
    "revoked personal access token": _revoked_pat,
    "project deploy token": lambda tree, user: _deploy_caller(
        tree, "top/priv/app", ["read_package_registry"]
    ),
    "group deploy token": lambda tree, user: _deploy_caller(
        tree, "top/priv", ["read_package_registry"]
    ),
    "deploy token without a package scope": lambda tree, user: _deploy_caller(
        tree, "top/priv", ["read_repository"]
    ),
    "revoked deploy token": _revoked_deploy_token,
    "job token of a developer": _developer_job,
    "job token of an admin": lambda tree, user: _job_caller(_by_path(tree, "top/pub/app"), user),
    "trusted publisher's minted token": _publishing_caller,
}
KINDS = list(CALLERS)


def _caller(kind: str, tree: Tree) -> Caller:
    user = make_user(is_admin=kind in {"admin", "job token of an admin"})
    return CALLERS[kind](tree, user)


# Callers whose Principal exists only inside the server (a revoked PAT authenticates as
# nothing); the query forms are checked for all the others.
PRINCIPAL_KINDS = [kind for kind in KINDS if kind != "revoked personal access token"]


def _paths(things: object) -> set[str]:
    return {thing.full_path for thing in things}  # type: ignore[attr-defined]


def _allowed(principal: Principal, ability: Ability, things: list) -> set[str]:
    return {thing.full_path for thing in things if can(principal, ability, thing)}


def _under(group: Group, projects: list[Project]) -> list[Project]:
    return [p for p in projects if p.full_path.startswith(f"{group.full_path}/")]


# The query forms against can() -------------------------------------------------------------


@pytest.mark.parametrize("kind", PRINCIPAL_KINDS)
def test_every_query_form_lists_what_can_allows(tree, kind):
    principal = _caller(kind, tree).principal
    tree.fresh()

    assert _paths(visible_projects(principal)) == _allowed(
        principal, Ability.READ_PROJECT, tree.projects
    )
    groups = readable_groups(principal)
    assert _paths(groups) == _allowed(principal, Ability.READ_GROUP, tree.groups)
    for group in tree.groups:
        expected = _allowed(principal, Ability.READ_PACKAGE, _under(group, tree.projects))
        assert _paths(readable_projects(principal, group)) == expected, group.full_path
        by_filter = Project.objects.filter(readable_projects_filter(principal, group))
        assert _paths(by_filter) == expected, group.full_path
        under = readable_under_filter(principal, full_path=group.full_path)
        assert _paths(Project.objects.filter(under)) == expected, group.full_path
    everywhere = Project.objects.filter(packages_readable_filter(principal))
    assert _paths(everywhere) == _allowed(principal, Ability.READ_PACKAGE, tree.projects)


@pytest.mark.parametrize("kind", PRINCIPAL_KINDS)
def test_the_groups_a_form_offers_are_those_can_allows(tree, kind):
    # The web forms' choices (where to create a project or a subgroup) come from this form.
    principal = _caller(kind, tree).principal
    tree.fresh()

    for ability in (Ability.CREATE_PROJECT, Ability.CREATE_SUBGROUP, Ability.ADMIN_GROUP):
        expected = _allowed(principal, ability, tree.groups)
        assert _paths(groups_allowing(principal, ability)) == expected, ability


@pytest.mark.parametrize("kind", PRINCIPAL_KINDS)
def test_membership_forms_count_what_access_level_counts(tree, kind):
    principal = _caller(kind, tree).principal
    tree.fresh()

    for level in LEVELS:
        projects = Project.objects.filter(member_projects_filter(principal, min_level=level))
        groups = Group.objects.filter(member_groups_filter(principal, min_level=level))
        assert _paths(projects) == {
            p.full_path for p in tree.projects if access_level(principal, p) >= level
        }, level
        assert _paths(groups) == {
            g.full_path for g in tree.groups if access_level(principal, g) >= level
        }, level


def test_an_expired_membership_counts_for_nothing(tree):
    """The drift this module was written for: `membership=true` counted expired members."""
    principal = _caller("expired memberships", tree).principal
    stranger = Principal.for_user(make_user())
    tree.fresh()

    for thing in [*tree.projects, *tree.groups]:
        assert access_level(principal, thing) == AccessLevel.NO_ACCESS
        for ability in (Ability.READ_PROJECT, Ability.READ_GROUP, Ability.READ_PACKAGE):
            assert can(principal, ability, thing) == can(stranger, ability, thing), thing


# The same through every list over HTTP -----------------------------------------------------


def _get(client: Client, caller: Caller, url: str, **extra: str):
    cache.clear()  # the refused-token throttle counts every 401; it is tested on its own
    return client.get(url, **caller.headers, **extra)


def _rest_ids(client: Client, caller: Caller, url: str) -> tuple[int, set[int]]:
    response = _get(client, caller, url)
    if response.status_code != 200:
        return response.status_code, set()
    return 200, {row["id"] for row in response.json()}


def _rest_expected(caller: Caller) -> int | None:
    return caller.refused_everywhere or caller.refused_by_rest


def _check_rest(client, caller, url, expected: set[int]) -> None:
    status, ids = _rest_ids(client, caller, url)
    refused = _rest_expected(caller)
    assert (status, ids) == ((refused, set()) if refused else (200, expected)), url


def _ids(things: list, allowed: set[str]) -> set[int]:
    return {thing.pk for thing in things if thing.full_path in allowed}


@pytest.mark.parametrize("kind", KINDS)
def test_rest_project_and_group_lists(tree, kind, client):
    caller = _caller(kind, tree)
    principal = caller.principal
    tree.fresh()
    projects, groups = tree.projects, tree.groups

    _check_rest(client, caller, "/api/v4/projects?per_page=100",
                _ids(projects, _allowed(principal, Ability.READ_PROJECT, projects)))
    _check_rest(client, caller, "/api/v4/groups?per_page=100",
                _ids(groups, _allowed(principal, Ability.READ_GROUP, groups)))
    top = tree.groups[0]  # public: every caller the REST API serves reads it
    _check_rest(client, caller, f"/api/v4/groups/{top.pk}/projects?include_subgroups=true",
                _ids(_under(top, projects), _allowed(principal, Ability.READ_PROJECT, projects)))
    below = [g for g in groups if g.full_path.startswith("top/")]
    _check_rest(client, caller, f"/api/v4/groups/{top.pk}/descendant_groups",
                _ids(below, _allowed(principal, Ability.READ_GROUP, groups)))


@pytest.mark.parametrize("kind", KINDS)
def test_rest_membership_and_min_access_level(tree, kind, client):
    caller = _caller(kind, tree)
    principal = caller.principal
    tree.fresh()
    readable = _allowed(principal, Ability.READ_PROJECT, tree.projects)

    def members(things: list, level: int) -> set[int]:
        return {t.pk for t in things if access_level(principal, t) >= level}

    _check_rest(client, caller, "/api/v4/projects?membership=true&per_page=100",
                members(tree.projects, AccessLevel.GUEST) & _ids(tree.projects, readable))
    for level in (AccessLevel.DEVELOPER, AccessLevel.OWNER):
        _check_rest(client, caller, f"/api/v4/projects?min_access_level={level}&per_page=100",
                    members(tree.projects, level) & _ids(tree.projects, readable))
        _check_rest(client, caller, f"/api/v4/groups?min_access_level={level}&per_page=100",
                    members(tree.groups, level))


def _listed(response, key: str) -> set[str]:
    if response.status_code != 200:
        return set()
    if key == "index":
        return {canonicalize_name(row["name"]) for row in response.json()["projects"]}
    return {row["project_path"] for row in response.json()}


@pytest.mark.parametrize("kind", KINDS)
def test_the_index_and_the_packages_api(tree, kind, client):
    caller = _caller(kind, tree)
    principal = caller.principal
    tree.fresh()
    refused = caller.refused_everywhere

    for project in tree.projects:
        readable = refused is None and can(principal, Ability.READ_PACKAGE, project)
        index = _get(client, caller, f"/api/v4/projects/{project.pk}/packages/pypi/simple")
        packages = _get(client, caller, f"/api/v4/projects/{project.pk}/packages")
        assert (index.status_code == 200) == readable, project.full_path
        assert (packages.status_code == 200) == readable, project.full_path
        if refused:
            assert {index.status_code, packages.status_code} == {refused}
    for group in tree.groups:
        below = _under(group, tree.projects)
        allowed = _allowed(principal, Ability.READ_PACKAGE, below) if refused is None else set()
        index = _get(client, caller, f"/api/v4/groups/{group.pk}/-/packages/pypi/simple",
                     **JSON_INDEX)
        shown = can(principal, Ability.READ_PACKAGE, group) and refused is None
        expected = {tree.package_of[p.pk] for p in below if p.full_path in allowed}
        assert _listed(index, "index") == (expected if shown else set()), group.full_path
        assert (index.status_code == 200) == shown, group.full_path

        packages = _get(client, caller, f"/api/v4/groups/{group.pk}/packages?per_page=100")
        shown = can(principal, Ability.READ_GROUP, group) and refused is None
        assert _listed(packages, "api") == (allowed if shown else set()), group.full_path
        assert (packages.status_code == 200) == shown, group.full_path


def _page(client: Client, caller: Caller, url: str):
    cache.clear()
    client.logout()
    if caller.session is not None:
        client.force_login(caller.session)
    return client.get(url, **caller.headers)


def _ui_principal(caller: Caller) -> Principal:
    """Who a page serves: the session's user; a blocked user's session no longer signs anyone
    in (the password backend refuses them), and every token is ignored, so both see what
    anyone sees."""
    if caller.session is None or caller.session.is_blocked:
        return Principal.anonymous()
    return Principal.for_user(caller.session)


@pytest.mark.parametrize("kind", KINDS)
def test_the_web_pages(tree, kind, client):
    caller = _caller(kind, tree)
    viewer = _ui_principal(caller)
    tree.fresh()

    dashboard = _page(client, caller, "/")
    assert _paths(dashboard.context["projects"]) == _allowed(
        viewer, Ability.READ_PROJECT, tree.projects
    )
    assert _paths(dashboard.context["groups"]) == _allowed(viewer, Ability.READ_GROUP, tree.groups)
    for group in tree.groups:
        page = _page(client, caller, f"/{group.full_path}")
        packages = _page(client, caller, f"/groups/{group.full_path}/-/packages")
        if not can(viewer, Ability.READ_GROUP, group):
            assert page.status_code in {302, 404}, group.full_path
            assert packages.status_code in {302, 404}, group.full_path
            continue
        children = [g for g in tree.groups if g.parent_id == group.pk]
        inside = [p for p in tree.projects if p.namespace_id == group.pk]
        assert _paths(page.context["subgroups"]) == _allowed(
            viewer, Ability.READ_GROUP, children
        ), group.full_path
        assert _paths(page.context["projects"]) == _allowed(
            viewer, Ability.READ_PROJECT, inside
        ), group.full_path
        rows = packages.context["page"].object_list
        assert {row.project.full_path for row in rows} == _allowed(
            viewer, Ability.READ_PACKAGE, _under(group, tree.projects)
        ), group.full_path


# Query counts: a caller's memberships never add queries -----------------------------------

LIST_URLS = [
    "/api/v4/projects?per_page=100",
    "/api/v4/projects?membership=true&per_page=100",
    "/api/v4/projects?min_access_level=30&per_page=100",
    "/api/v4/groups?per_page=100",
    "/api/v4/groups?min_access_level=30&per_page=100",
    "/api/v4/groups/top/descendant_groups?per_page=100",
    "/api/v4/groups/top/projects?include_subgroups=true&per_page=100",
    "/api/v4/groups/top/packages?per_page=100",
    "/api/v4/groups/top/-/packages/pypi/simple",
    "page:/",
    "page:/top",
    "page:/groups/top/-/packages",
]


@pytest.mark.parametrize("url", LIST_URLS)
def test_every_list_costs_the_same_queries_however_many_memberships(
    tree, client, url, django_assert_max_num_queries
):
    caller = _group_developer(tree, make_user())
    user = caller.session
    top = tree.groups[0]

    if url.startswith("page:"):
        client.force_login(user)

    def fetch():
        if url.startswith("page:"):
            return client.get(url.removeprefix("page:"))
        return _get(client, caller, url)

    with django_assert_max_num_queries(20) as few:
        assert fetch().status_code == 200
    for index in range(12):
        group = make_group(f"more{index}", parent=top, visibility=Visibility.PRIVATE)
        project = make_project("app", namespace=group, visibility=Visibility.PRIVATE)
        make_package(project, f"more-{index}", "1.0")
        expiry = YESTERDAY if index % 3 == 0 else None
        _member(group if index % 2 else project, user, AccessLevel.DEVELOPER, expiry)
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert fetch().status_code == 200


@pytest.mark.parametrize("kind", PRINCIPAL_KINDS)
def test_the_quarantine_readers_form_lists_what_can_allows(tree, kind):
    from projects.access import quarantine_readers_filter

    principal = _caller(kind, tree).principal
    tree.fresh()

    readers = Project.objects.filter(quarantine_readers_filter(principal))
    assert _paths(readers) == _allowed(principal, Ability.READ_QUARANTINED, tree.projects)
