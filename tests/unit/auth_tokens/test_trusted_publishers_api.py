"""REST: GET/POST /projects/:id/packages/pypi/trusted_publishers, DELETE .../:publisher_id."""

import pytest
from rest_framework.test import APIClient

from auth_tokens.models import TrustedPublisher
from projects.roles import AccessLevel, Visibility
from tests.factories import add_member, make_pat, make_project, make_user

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _issuers(settings):
    settings.REGISTRY_OIDC_ISSUERS = [
        "https://token.actions.githubusercontent.com", "https://gitlab.com",
        "https://git.example.com", "http://127.0.0.1:9999",
    ]


@pytest.fixture
def project():
    return make_project("app", visibility=Visibility.PRIVATE)


def member(project, level):
    user = make_user()
    add_member(project, user, level)
    client = APIClient()
    client.credentials(HTTP_PRIVATE_TOKEN=make_pat(user))
    return client


@pytest.fixture
def maintainer(project):
    return member(project, AccessLevel.MAINTAINER)


def url(project):
    return f"/api/v4/projects/{project.pk}/packages/pypi/trusted_publishers"


def test_a_maintainer_creates_lists_and_deletes_publishers(maintainer, project):
    github = maintainer.post(url(project), {"provider": "github", "claims": {
        "repository": "octo/app", "workflow": "release.yml", "environment": "pypi"}},
        format="json")
    gitlab = maintainer.post(url(project), {"provider": "gitlab", "claims": {
        "project_path": "acme/tools/app"}}, format="json")
    forgejo = maintainer.post(url(project), {
        "provider": "oidc", "issuer": "https://git.example.com/",
        "claims": {"sub": "repo:acme/app", "ref": "refs/heads/main"}}, format="json")

    assert github.status_code == 201, github.json()
    assert github.json() == {
        "id": github.json()["id"], "provider": "github",
        "issuer": "https://token.actions.githubusercontent.com",
        "claims": {"repository": "octo/app", "workflow": "release.yml", "environment": "pypi"},
    }
    assert gitlab.json()["issuer"] == "https://gitlab.com"
    assert forgejo.json()["issuer"] == "https://git.example.com"
    listed = maintainer.get(url(project))
    assert [row["provider"] for row in listed.json()] == ["github", "gitlab", "oidc"]
    assert listed["X-Total"] == "3"

    deleted = maintainer.delete(f"{url(project)}/{github.json()['id']}")
    assert deleted.status_code == 204
    assert maintainer.delete(f"{url(project)}/{github.json()['id']}").status_code == 404
    assert TrustedPublisher.objects.count() == 2


@pytest.mark.parametrize(
    ("body", "words"),
    [
        ({"provider": "github", "claims": {}}, "claims.repository is missing"),
        ({"provider": "github", "claims": {"repository": "not a repo"}}, "not a valid path"),
        ({"provider": "github", "claims": {"repository": "o/r", "workflow": "x/y.yml"}},
         "workflow file name"),
        ({"provider": "github", "claims": {"repository": "o/r", "sub": "x"}},
         "know the claims"),
        ({"provider": "gitlab", "claims": {"project_path": "single"}}, "not a valid path"),
        ({"provider": "gitlab", "claims": {"project_path": "a/b", "environment": 5}},
         "non-empty string"),
        ({"provider": "oidc", "issuer": "https://git.example.com", "claims": {}},
         "at least one claim"),
        ({"provider": "oidc", "issuer": "https://git.example.com", "claims": {"aud": "x"}},
         "checked by verification"),
        ({"provider": "oidc", "claims": {"sub": "x"}}, "issuer is missing"),
        ({"provider": "oidc", "issuer": "https://evil.example.com", "claims": {"sub": "x"}},
         "REGISTRY_OIDC_ISSUERS"),
        ({"provider": "oidc", "issuer": "http://git.example.com", "claims": {"sub": "x"}},
         "must use https"),
        ({"provider": "jenkins", "claims": {"sub": "x"}}, "provider"),
    ],
)
def test_a_publisher_that_cannot_work_is_a_400_saying_why(maintainer, project, body, words):
    response = maintainer.post(url(project), body, format="json")
    assert response.status_code == 400
    assert words in str(response.json())
    assert TrustedPublisher.objects.count() == 0


def test_a_plain_http_issuer_is_accepted_on_loopback(maintainer, project):
    response = maintainer.post(url(project), {"provider": "oidc", "issuer": "http://127.0.0.1:9999",
                                              "claims": {"sub": "x"}}, format="json")
    assert response.status_code == 201


def test_only_maintainers_manage_publishers(project):
    developer = member(project, AccessLevel.DEVELOPER)
    outsider = APIClient()
    outsider.credentials(HTTP_PRIVATE_TOKEN=make_pat(make_user()))
    body = {"provider": "github", "claims": {"repository": "octo/app"}}

    assert developer.get(url(project)).status_code == 403
    assert developer.post(url(project), body, format="json").status_code == 403
    assert outsider.get(url(project)).status_code == 404
    assert APIClient().get(url(project)).status_code == 401
    assert TrustedPublisher.objects.count() == 0


def test_the_list_costs_the_same_queries_however_many_publishers(
    maintainer, project, django_assert_max_num_queries
):
    for index in range(5):
        maintainer.post(url(project), {"provider": "github", "claims": {
            "repository": f"octo/app{index}"}}, format="json")
    with django_assert_max_num_queries(8):
        assert len(maintainer.get(url(project)).json()) == 5


def test_adding_and_removing_a_publisher_are_audit_events(db):
    from projects.audit.models import AuditEvent
    from tests.factories import make_group, make_pat, make_project, make_user

    project = make_project("zqx-audit-tp", namespace=make_group("zqx-audit-g"))
    admin = make_user("zqx-audit-root", is_admin=True)
    client = APIClient()
    client.credentials(HTTP_PRIVATE_TOKEN=make_pat(admin))
    base = f"/api/v4/projects/{project.pk}/packages/pypi/trusted_publishers"

    created = client.post(base, {"provider": "github", "claims": {"repository": "octo/app"}},
                          format="json")
    assert created.status_code == 201, created.content
    assert client.delete(f"{base}/{created.json()['id']}").status_code == 204

    added, removed = AuditEvent.objects.filter(
        event_name__startswith="trusted_publisher_").order_by("pk")
    assert (added.event_name, removed.event_name) == ("trusted_publisher_created",
                                                      "trusted_publisher_deleted")
    assert {added.author_id, removed.author_id} == {admin.pk}
    assert added.details["claims"] == {"repository": "octo/app"}
