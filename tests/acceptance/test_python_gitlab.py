"""Scripting the registry with the real python-gitlab against a live server (spec §7)."""

import datetime
import importlib.metadata

import gitlab
import pytest
import requests
from django.conf import settings as django_settings
from django.core.files.storage import default_storage
from django.utils import timezone

from auth_tokens.models import PersonalAccessToken
from packages_pypi.models import Package
from projects.models import ApplicationSettings, Project
from tests.factories import add_member, make_group, make_pat, make_project, make_user
from tests.package_rows import add_file, make_package

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]

DEVELOPER, MAINTAINER = 30, 40


@pytest.fixture
def client_for(connect):
    return lambda user, **kwargs: connect(private_token=make_pat(user, **kwargs))


def test_admin_creates_users_and_a_taken_username_answers_409(admin_gl):
    assert admin_gl.user.is_admin
    alice = admin_gl.users.create({
        "email": "alice@example.com", "username": "alice", "name": "Alice",
        "password": "correct horse battery", "skip_confirmation": True,
    })
    with pytest.raises(gitlab.GitlabCreateError) as error:
        admin_gl.users.create({"email": "a2@example.com", "username": "alice", "name": "A",
                               "password": "correct horse battery"})
    assert error.value.response_code == 409
    assert [u.id for u in admin_gl.users.list(username="alice", get_all=True)] == [alice.id]
    alice.name = "Alice Liddell"
    alice.save()
    assert admin_gl.users.get(alice.id).name == "Alice Liddell"
    alice.delete()
    with pytest.raises(gitlab.GitlabGetError) as error:
        admin_gl.users.get(alice.id)
    assert error.value.response_code == 404


def test_groups_subgroups_and_projects_are_reached_by_id_or_full_path(admin_gl):
    top = admin_gl.groups.create({"name": "Top", "path": "top", "visibility": "private"})
    sub = admin_gl.groups.create({"name": "Sub", "path": "sub", "parent_id": top.id})
    deeper = admin_gl.groups.create({"name": "Deeper", "path": "deeper", "parent_id": sub.id})
    assert admin_gl.groups.get("top/sub").id == sub.id
    assert [g.id for g in top.subgroups.list(get_all=True)] == [sub.id]
    assert {g.id for g in top.descendant_groups.list(get_all=True)} == {sub.id, deeper.id}

    project = admin_gl.projects.create({"name": "p", "namespace_id": sub.id})
    assert project.path_with_namespace == "top/sub/p"
    assert admin_gl.projects.get("top/sub/p").id == project.id
    assert [p.id for p in top.projects.list(include_subgroups=True, get_all=True)] == [project.id]
    assert top.projects.list(get_all=True) == []

    project.description = "described"
    project.save()
    assert admin_gl.projects.get(project.id).description == "described"
    sub.name = "Renamed"
    sub.save()
    assert admin_gl.groups.get(sub.id).name == "Renamed"

    admin_gl.projects.delete(project.id)
    with pytest.raises(gitlab.GitlabGetError):
        admin_gl.projects.get("top/sub/p")
    top.delete()
    assert admin_gl.groups.list(get_all=True) == []


def test_members_are_added_changed_and_removed_on_groups_and_projects(admin_gl, client_for):
    bob = make_user("bob")
    group = admin_gl.groups.create({"name": "G", "path": "g"})
    project = admin_gl.projects.create({"name": "p", "namespace_id": group.id})
    member = project.members.create({"user_id": bob.id, "access_level": DEVELOPER})
    assert member.username == "bob"
    member.access_level = MAINTAINER
    member.save()
    assert project.members.get(bob.id).access_level == MAINTAINER
    with pytest.raises(gitlab.GitlabCreateError) as error:
        project.members.create({"username": "bob", "access_level": DEVELOPER})
    assert error.value.response_code == 409
    member.delete()
    assert project.members.list(get_all=True) == []

    group.members.create({"username": "bob", "access_level": DEVELOPER})
    bob_gl = client_for(bob)
    assert bob_gl.projects.get("g/p").id == project.id
    group.members.delete(bob.id)
    with pytest.raises(gitlab.GitlabGetError) as error:
        bob_gl.projects.get("g/p")
    assert error.value.response_code == 404


def test_personal_access_tokens_are_issued_listed_rotated_and_revoked_at_once(admin_gl, connect):
    carol = make_user("carol")
    created = admin_gl.users.get(carol.id, lazy=True).personal_access_tokens.create(
        {"name": "ci", "scopes": ["api"], "expires_at": "2099-01-01"}
    )
    carol_gl = connect(private_token=created.token)
    carol_gl.auth()
    assert carol_gl.user.username == "carol"
    assert carol_gl.personal_access_tokens.get("self").id == created.id
    listed = admin_gl.personal_access_tokens.list(user_id=carol.id, get_all=True)
    assert [t.id for t in listed] == [created.id]
    assert not hasattr(listed[0], "token")

    rotated = admin_gl.personal_access_tokens.get(created.id)
    rotated.rotate()
    with pytest.raises(gitlab.GitlabAuthenticationError):
        carol_gl.auth()
    carol_gl = connect(private_token=rotated.token)
    carol_gl.auth()

    carol_gl.personal_access_tokens.delete(rotated.id)
    with pytest.raises(gitlab.GitlabAuthenticationError):
        carol_gl.auth()
    assert admin_gl.personal_access_tokens.get(rotated.id).revoked is True

    with pytest.raises(gitlab.GitlabCreateError) as error:
        admin_gl.users.get(carol.id, lazy=True).personal_access_tokens.create(
            {"name": "bad", "scopes": ["no_such_scope"]}
        )
    assert error.value.response_code == 400


def test_an_expired_token_is_refused_from_that_moment(admin_gl, client_for):
    dave = make_user("dave")
    dave_gl = client_for(dave, expires_at=timezone.now().date() + datetime.timedelta(days=1))
    dave_gl.auth()
    PersonalAccessToken.objects.filter(user=dave).update(expires_at=timezone.now().date())
    with pytest.raises(gitlab.GitlabAuthenticationError):
        dave_gl.auth()


def test_deploy_tokens_show_their_secret_once_and_can_be_revoked(admin_gl):
    group = admin_gl.groups.create({"name": "G", "path": "g"})
    project = admin_gl.projects.create({"name": "p", "namespace_id": group.id})
    token = project.deploytokens.create(
        {"name": "d", "scopes": ["read_package_registry", "write_package_registry"]}
    )
    assert token.token.startswith("gldt-")
    assert token.username == f"gitlab+deploy-token-{token.id}"
    lazy = admin_gl.projects.get("g/p", lazy=True)
    assert [t.id for t in lazy.deploytokens.list(get_all=True)] == [token.id]
    assert not hasattr(lazy.deploytokens.get(token.id), "token")
    project.deploytokens.delete(token.id)
    assert lazy.deploytokens.get(token.id).revoked is True

    group_token = group.deploytokens.create(
        {"name": "gd", "scopes": ["read_package_registry"], "expires_at": "2099-01-01T00:00:00Z"}
    )
    assert group_token.expires_at == "2099-01-01T00:00:00.000Z"
    assert [t.id for t in group.deploytokens.list(get_all=True)] == [group_token.id]


def test_a_ci_job_token_reads_packages_until_the_job_finishes(admin_gl, connect):
    erin = make_user("erin")
    group = admin_gl.groups.create({"name": "G", "path": "g"})
    project = admin_gl.projects.create({"name": "p", "namespace_id": group.id})
    project.members.create({"user_id": erin.id, "access_level": DEVELOPER})
    job = admin_gl.http_post(f"/projects/{project.id}/jobs", post_data={"username": "erin"})
    job_gl = connect(job_token=job["token"])
    assert job_gl.projects.get(project.id, lazy=True).packages.list(get_all=True) == []
    admin_gl.http_post(f"/jobs/{job['id']}/finish", post_data={"status": "success"})
    with pytest.raises(gitlab.GitlabAuthenticationError):
        job_gl.projects.get(project.id, lazy=True).packages.list(get_all=True)


def test_packages_are_listed_across_pages_filtered_and_deleted(admin_gl):
    group = make_group("g")
    sub = make_group("s", parent=group)
    project = make_project("p", namespace=sub)
    for minor in range(25):
        add_file(make_package(project, "my-pkg", f"1.{minor}"))
    add_file(make_package(project, "other", "2.0"))
    packages = admin_gl.projects.get("g/s/p", lazy=True).packages

    assert len(packages.list(get_all=True, per_page=10)) == 26
    iterator = packages.list(iterator=True, per_page=10)
    assert (iterator.total, iterator.total_pages) == (26, 3)
    assert len(list(iterator)) == 26
    with pytest.warns(UserWarning, match="maximum of 20"):
        packages.list()
    assert [p.name for p in packages.list(package_name="oth", get_all=True)] == ["other"]
    newest = packages.list(
        order_by="created_at", sort="desc", package_name="my", per_page=1, get_all=False
    )
    assert newest[0].version == "1.24"
    assert packages.list(package_type="npm", get_all=True) == []

    listed = admin_gl.groups.get("g").packages.list(get_all=True, package_name="other")
    assert [(p.project_id, p.project_path) for p in listed] == [(project.id, "g/s/p")]
    assert admin_gl.groups.get("g").packages.list(exclude_subgroups=True, get_all=True) == []


def test_deleting_files_and_packages_removes_blobs_and_frees_the_filename(admin_gl):
    project = make_project("p", namespace=make_group("g"))
    package = make_package(project, "my-pkg", "1.0")
    wheel, sdist = add_file(package), add_file(package, "my_pkg-1.0.tar.gz")
    pkg = admin_gl.projects.get("g/p", lazy=True).packages.get(package.id)
    files = pkg.package_files.list(get_all=True)
    assert [f.file_name for f in files] == [wheel.file_name, sdist.file_name]
    assert files[0].file_sha256 == wheel.sha256

    files[0].delete()
    assert not default_storage.exists(wheel.file.name)
    assert [f.id for f in pkg.package_files.list(get_all=True)] == [sdist.id]
    pkg.delete()
    assert not default_storage.exists(sdist.file.name)
    with pytest.raises(gitlab.GitlabGetError) as error:
        admin_gl.projects.get("g/p", lazy=True).packages.get(package.id)
    assert error.value.response_code == 404

    again = add_file(make_package(project, "my-pkg", "1.0"), wheel.file_name)
    assert default_storage.exists(again.file.name)


def test_only_maintainers_may_delete_packages(admin_gl, client_for):
    project = make_project("p", namespace=make_group("g"))
    package = make_package(project)
    add_file(package)
    developer, maintainer = make_user("dev"), make_user("maint")
    add_member(project, developer, DEVELOPER)
    add_member(project, maintainer, MAINTAINER)
    with pytest.raises(gitlab.GitlabDeleteError) as error:
        client_for(developer).projects.get("g/p", lazy=True).packages.delete(package.id)
    assert error.value.response_code == 403
    client_for(maintainer).projects.get("g/p", lazy=True).packages.delete(package.id)
    assert not Package.objects.exists()


def test_application_settings_toggle_forwarding_at_once(admin_gl):
    settings = admin_gl.settings.get()
    assert settings.pypi_package_requests_forwarding is True
    settings.pypi_package_requests_forwarding = False
    settings.save()
    assert ApplicationSettings.load().pypi_package_requests_forwarding is False
    assert admin_gl.settings.get().pypi_package_requests_forwarding is False
    admin_gl.settings.update(new_data={"pypi_package_requests_forwarding": True})
    assert ApplicationSettings.load().pypi_package_requests_forwarding is True


def test_non_admins_strangers_and_anonymous_callers_are_refused(admin_gl, connect, client_for):
    make_project("p", namespace=make_group("g", visibility=0), visibility=0)
    stranger = client_for(make_user("stranger"))
    with pytest.raises(gitlab.GitlabGetError) as error:
        stranger.settings.get()
    assert error.value.response_code == 403
    with pytest.raises(gitlab.GitlabCreateError) as error:
        stranger.users.create({"username": "x", "email": "x@example.com", "name": "X",
                               "password": "correct horse battery"})
    assert error.value.response_code == 403
    with pytest.raises(gitlab.GitlabGetError) as error:
        stranger.projects.get("g/p")
    assert error.value.response_code == 404
    with pytest.raises(gitlab.GitlabAuthenticationError):
        connect().projects.get("g/p")
    with pytest.raises(gitlab.GitlabAuthenticationError):
        connect().settings.get()


def test_version_namespaces_blocking_and_package_names_in_any_spelling(admin_gl, connect, url):
    version, revision = admin_gl.version()
    assert version == importlib.metadata.version("pypi-registry")
    assert revision == django_settings.REGISTRY_REVISION

    top = admin_gl.groups.create({"name": "Top", "path": "top"})
    sub = admin_gl.groups.create({"name": "Sub", "path": "sub", "parent_id": top.id})
    assert [n.full_path for n in admin_gl.namespaces.list(search="su", get_all=True)] == [
        "top/sub"
    ]
    namespace = admin_gl.namespaces.get("top/sub")
    assert (namespace.id, namespace.kind, namespace.parent_id) == (sub.id, "group", top.id)
    project = admin_gl.projects.create({"name": "p", "namespace_id": namespace.id})

    frank = admin_gl.users.create({"email": "frank@example.com", "username": "frank",
                                   "name": "Frank", "password": "correct horse battery"})
    sub.members.create({"user_id": frank.id, "access_level": DEVELOPER})
    secret = frank.personal_access_tokens.create({"name": "t", "scopes": ["api"]}).token
    frank_gl = connect(private_token=secret)
    index = f"{url}/api/v4/projects/{project.id}/packages/pypi/simple/"
    assert [n.full_path for n in frank_gl.namespaces.list(get_all=True)] == ["top/sub"]

    assert frank.block() is True
    assert frank.state == "blocked"
    with pytest.raises(gitlab.GitlabGetError) as error:
        frank_gl.auth()
    assert error.value.response_code == 403
    assert requests.get(index, auth=("__token__", secret), timeout=30).status_code == 403
    assert frank.unblock() is True
    assert frank.state == "active"
    frank_gl.auth()
    assert requests.get(index, auth=("__token__", secret), timeout=30).status_code == 200

    add_file(make_package(Project.objects.get(pk=project.id), "Zqx.Newcomer-Dotty", "1.0"))
    packages = admin_gl.projects.get(project.id, lazy=True).packages
    found = packages.list(package_name="Zqx.Newcomer_Dotty", get_all=True)
    assert [(p.name, p.version) for p in found] == [("Zqx.Newcomer-Dotty", "1.0")]
