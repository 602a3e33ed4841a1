"""GitLab's authorisation matrix on every PyPI endpoint (spec gitlab-pypi.md §2.5, §7 A-E)."""

import pytest

from auth_tokens.services import ci_job_finish, ci_job_start, deploy_token_issue
from projects.roles import AccessLevel, FeatureAccess, Visibility
from tests.factories import add_member, make_group, make_pat, make_project, make_user
from tests.pypi_driver import Registry, group_scope, project_scope, sdist, wheel

pytestmark = pytest.mark.django_db

CALLERS = ["developer", "guest", "developer, wrong token", "guest, wrong token", "non-member",
           "non-member, wrong token", "anonymous"]
READ_PUBLIC = dict.fromkeys(CALLERS, 200)
READ_PRIVATE = {
    "developer": 200, "guest": 200, "developer, wrong token": 401, "guest, wrong token": 401,
    "non-member": 404, "non-member, wrong token": 401, "anonymous": 401,
}
UPLOAD_PUBLIC = {
    "developer": 201, "guest": 403, "developer, wrong token": 401, "guest, wrong token": 401,
    "non-member": 403, "non-member, wrong token": 401, "anonymous": 401,
}
UPLOAD_PRIVATE = {**UPLOAD_PUBLIC, "non-member": 404}
ENDPOINTS = ["project index", "project page", "project download", "group index", "group page",
             "group download", "upload"]


@pytest.fixture
def world(request):
    visibility = request.param
    group = make_group("acme", visibility=visibility)
    project = make_project("tools", namespace=group, visibility=visibility)
    admin = make_user("admin", is_admin=True)
    registry = Registry()
    dist = wheel("sample-project")
    assert registry.upload(project.pk, dist, ("admin", make_pat(admin))).status_code == 201
    return {"group": group, "project": project, "registry": registry, "dist": dist}


def credentials(world, caller):
    if caller == "anonymous":
        return None
    user = make_user()
    role = {"developer": AccessLevel.DEVELOPER, "guest": AccessLevel.GUEST}.get(
        caller.split(",")[0]
    )
    if role:
        add_member(world["project"], user, role)
        add_member(world["group"], user, role)
    return (user.username, "wrong" if caller.endswith("wrong token") else make_pat(user))


def call(world, endpoint, auth):
    registry, dist = world["registry"], world["dist"]
    scope = (project_scope if endpoint.startswith("project") else group_scope)(
        world["project"] if endpoint.startswith("project") else world["group"]
    )
    if endpoint.endswith("index"):
        return registry.simple(scope, auth=auth)
    if endpoint.endswith("page"):
        return registry.simple(scope, "sample-project", auth=auth)
    if endpoint.endswith("download"):
        return registry.download(scope, dist.sha256, dist.filename, auth=auth)
    return registry.upload(world["project"].pk, sdist("sample-project"), auth)


@pytest.mark.parametrize("caller", CALLERS)
@pytest.mark.parametrize("endpoint", ENDPOINTS)
@pytest.mark.parametrize("world", [Visibility.PUBLIC, Visibility.PRIVATE], indirect=True,
                         ids=["public", "private"])
def test_status_matrix(world, endpoint, caller):
    public = world["project"].visibility == Visibility.PUBLIC
    if endpoint == "upload":
        expected = (UPLOAD_PUBLIC if public else UPLOAD_PRIVATE)[caller]
    else:
        expected = (READ_PUBLIC if public else READ_PRIVATE)[caller]

    response = call(world, endpoint, credentials(world, caller))

    assert response.status_code == expected, response.content[:300]
    if expected == 401:
        assert response["WWW-Authenticate"] == 'Basic realm="GitLab Packages Registry"'
        assert response.json() == {"message": "401 Unauthorized"}
    if expected == 404:
        assert response.json()["message"].startswith("404")
    if expected == 200 and endpoint.endswith(("index", "page")):
        assert b"sample" in response.content
    if expected == 200 and endpoint.endswith("download"):
        assert b"".join(response.streaming_content) == world["dist"].data


PRIVATE = [Visibility.PRIVATE]


@pytest.mark.parametrize("world", PRIVATE, indirect=True)
@pytest.mark.parametrize("endpoint", ENDPOINTS[:-1])
def test_deploy_tokens_read_private_packages_and_a_wrong_one_is_challenged(world, endpoint):
    owner = world["group"] if endpoint.startswith("group") else world["project"]
    token, secret = deploy_token_issue(owner=owner, name="d", scopes=["read_package_registry"])

    valid = call(world, endpoint, (token.username, secret))
    wrong = call(world, endpoint, (token.username, "bar"))

    assert (valid.status_code, wrong.status_code) == (200, 401)


@pytest.mark.parametrize("world", PRIVATE, indirect=True)
def test_deploy_token_scopes_decide_upload(world):
    _, reader = deploy_token_issue(owner=world["project"], name="r",
                                   scopes=["read_package_registry"])
    _, writer = deploy_token_issue(owner=world["group"], name="w",
                                   scopes=["write_package_registry"])

    assert call(world, "upload", ("r", reader)).status_code == 403
    assert call(world, "upload", ("w", writer)).status_code == 201


@pytest.mark.parametrize("world", PRIVATE, indirect=True)
@pytest.mark.parametrize("endpoint", ENDPOINTS)
def test_job_tokens_act_while_running_and_only_with_the_ci_username(world, endpoint):
    user = make_user()
    add_member(world["project"], user, AccessLevel.DEVELOPER)
    job, secret = ci_job_start(project=world["project"], user=user)
    ok = 201 if endpoint == "upload" else 200

    assert call(world, endpoint, ("gitlab-ci-token", secret)).status_code == ok
    assert call(world, endpoint, ("gitlab-ci-token", "bar")).status_code == 401
    assert call(world, endpoint, ("foo", secret)).status_code == 401
    ci_job_finish(job=job)
    assert call(world, endpoint, ("gitlab-ci-token", secret)).status_code == 401


@pytest.mark.parametrize("world", [Visibility.PUBLIC], indirect=True)
def test_job_token_with_another_username_is_anonymous_on_public_projects(world):
    user = make_user()
    _, secret = ci_job_start(project=world["project"], user=user)

    assert call(world, "project download", ("foo", secret)).status_code == 200
    assert call(world, "project download", ("gitlab-ci-token", "bar")).status_code == 401


@pytest.mark.parametrize("world", PRIVATE, indirect=True)
def test_job_token_of_another_project_cannot_read_a_private_one(world):
    user = make_user()
    add_member(world["project"], user, AccessLevel.DEVELOPER)
    other = make_project(namespace=make_group(visibility=Visibility.PRIVATE),
                         visibility=Visibility.PRIVATE)
    _, secret = ci_job_start(project=other, user=user)

    assert call(world, "project page", ("gitlab-ci-token", secret)).status_code == 404
    assert call(world, "upload", ("gitlab-ci-token", secret)).status_code == 404


@pytest.mark.parametrize("world", PRIVATE, indirect=True)
@pytest.mark.parametrize("endpoint", ["project index", "project page", "project download"])
def test_public_registry_of_a_private_project_lets_anyone_pull(world, endpoint):
    world["project"].package_registry_access_level = FeatureAccess.PUBLIC
    world["project"].save()

    assert call(world, endpoint, None).status_code == 200
    assert call(world, endpoint, credentials(world, "non-member")).status_code == 200
    assert call(world, "upload", credentials(world, "non-member")).status_code == 404


@pytest.mark.parametrize("world", PRIVATE, indirect=True)
@pytest.mark.parametrize("endpoint", ENDPOINTS)
def test_disabled_registry_is_forbidden_even_to_developers(world, endpoint):
    world["project"].package_registry_access_level = FeatureAccess.DISABLED
    world["project"].save()

    response = call(world, endpoint, credentials(world, "developer"))

    # Group pages still answer; the project's packages just aren't in them.
    if endpoint.startswith("group"):
        assert response.status_code == (404 if endpoint != "group index" else 200)
        assert b"sample" not in response.content
    else:
        assert response.status_code == 403


@pytest.mark.parametrize("scope", ["projects", "groups"])
@pytest.mark.parametrize("auth", [None, "user"])
def test_unknown_ids_are_404_for_everyone(scope, auth):
    registry = Registry()
    credentials_ = ("u", make_pat(make_user())) if auth else None
    path = "1234567890" + ("/packages/pypi" if scope == "projects" else "/-/packages/pypi")

    response = registry.simple(f"{scope}/{path}", "anything", auth=credentials_)

    assert response.status_code == 404


@pytest.mark.parametrize("world", PRIVATE, indirect=True)
def test_expired_pat_is_refused_even_where_anonymous_would_do(world):
    import datetime

    user = make_user("old")
    add_member(world["project"], user, AccessLevel.DEVELOPER)
    secret = make_pat(user, expires_at=datetime.date.today())

    response = call(world, "project page", ("old", secret))

    assert response.status_code == 401
    assert response.json()["error"] == "invalid_token"


@pytest.mark.parametrize("world", PRIVATE, indirect=True)
def test_read_api_pat_reads_but_cannot_upload(world):
    user = make_user("reader")
    add_member(world["project"], user, AccessLevel.DEVELOPER)
    secret = make_pat(user, scopes=("read_api",))

    assert call(world, "project page", ("reader", secret)).status_code == 200
    upload = call(world, "upload", ("reader", secret))
    assert upload.status_code == 403
    assert upload.json()["error"] == "insufficient_scope"


@pytest.mark.parametrize("world", PRIVATE, indirect=True)
def test_project_and_group_paths_work_as_ids(world):
    auth = credentials(world, "developer")
    registry = world["registry"]

    by_path = registry.simple("projects/acme%2Ftools/packages/pypi", "sample-project", auth=auth)
    group_by_path = registry.simple("groups/acme/-/packages/pypi", "sample-project", auth=auth)

    assert (by_path.status_code, group_by_path.status_code) == (200, 200)
    # Links use numeric ids whatever the request used (spec §1.8).
    assert f"/api/v4/projects/{world['project'].pk}/packages/pypi/files/" in by_path.text
