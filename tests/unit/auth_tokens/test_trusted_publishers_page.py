"""The project's Settings > Trusted publishers page: maintainers only, add and remove."""

import pytest

from auth_tokens.models import TrustedPublisher
from projects.roles import AccessLevel, Visibility
from tests.factories import add_member, make_project, make_user

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _issuers(settings):
    settings.REGISTRY_OIDC_ISSUERS = [
        "https://token.actions.githubusercontent.com", "https://gitlab.com",
        "https://git.example.com",
    ]


@pytest.fixture
def project():
    return make_project("app", visibility=Visibility.PRIVATE)


def signed_in(client, project, level):
    user = make_user()
    add_member(project, user, level)
    client.force_login(user)
    return client


def page_url(project):
    return f"/{project.full_path}/-/settings/trusted_publishers"


def test_a_maintainer_adds_each_kind_and_removes_one(client, project):
    signed_in(client, project, AccessLevel.MAINTAINER)
    forms = [
        {"provider": "github", "name": "octo/app", "pipeline": "release.yml",
         "environment": "pypi"},
        {"provider": "gitlab", "issuer": "https://git.example.com", "name": "acme/app"},
        {"provider": "oidc", "issuer": "https://git.example.com",
         "claims": "sub = repo:acme/app\nref=refs/heads/main\n"},
    ]
    for form in forms:
        assert client.post(page_url(project), form).status_code == 302

    publishers = list(TrustedPublisher.objects.order_by("pk"))
    assert [p.claims for p in publishers] == [
        {"repository": "octo/app", "workflow": "release.yml", "environment": "pypi"},
        {"project_path": "acme/app"},
        {"sub": "repo:acme/app", "ref": "refs/heads/main"},
    ]
    page = client.get(page_url(project)).content.decode()
    assert "repository = octo/app" in page
    assert f"/api/v4/projects/{project.pk}/packages/pypi" in page

    removed = client.post(f"{page_url(project)}/{publishers[0].pk}/delete")
    assert removed.status_code == 302
    assert TrustedPublisher.objects.count() == 2


@pytest.mark.parametrize(
    ("form", "words"),
    [
        ({"provider": "github"}, "claims.repository is missing"),
        ({"provider": "oidc", "issuer": "https://git.example.com", "claims": "no equals"},
         "is not claim=value"),
        ({"provider": "oidc", "issuer": "https://elsewhere.example", "claims": "sub=x"},
         "REGISTRY_OIDC_ISSUERS"),
    ],
)
def test_a_publisher_that_cannot_work_is_shown_with_the_reason(client, project, form, words):
    signed_in(client, project, AccessLevel.MAINTAINER)
    response = client.post(page_url(project), form)
    assert response.status_code == 200
    assert words in response.content.decode()
    assert TrustedPublisher.objects.count() == 0


def test_developers_and_strangers_get_a_404_and_anonymous_a_sign_in(client, project):
    assert client.get(page_url(project)).status_code == 302
    signed_in(client, project, AccessLevel.DEVELOPER)
    assert client.get(page_url(project)).status_code == 404
    assert client.post(page_url(project), {"provider": "github", "name": "o/r"}).status_code \
        == 404
    assert TrustedPublisher.objects.count() == 0
