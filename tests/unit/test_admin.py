"""The Django admin lists every model to an admin, and never shows a token's secret."""

import pytest
from django.contrib import admin

from auth_tokens.models import PersonalAccessToken
from tests.factories import make_deploy_token, make_pat, make_project, make_user
from tests.pypi_driver import Registry, wheel

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client):
    user = make_user("root", is_admin=True)
    client.force_login(user)
    return client


def test_every_model_has_an_admin_page(admin_client):
    project = make_project()
    secret = make_pat(make_user("dev", is_admin=True))
    Registry().upload(project.pk, wheel("sample-project"), ("dev", secret))
    make_deploy_token(project)

    for model in admin.site._registry:
        opts = model._meta
        listing = admin_client.get(f"/admin/{opts.app_label}/{opts.model_name}/")
        assert listing.status_code == 200, opts.label
        row = model.objects.first()
        if row is not None:
            page = admin_client.get(f"/admin/{opts.app_label}/{opts.model_name}/{row.pk}/change/")
            assert page.status_code == 200, opts.label


def test_token_pages_show_the_prefix_and_never_the_secret_or_its_digest(admin_client):
    secret = make_pat(make_user("dev"))
    token = PersonalAccessToken.objects.get()

    listing = admin_client.get("/admin/auth_tokens/personalaccesstoken/").content.decode()
    page = admin_client.get(
        f"/admin/auth_tokens/personalaccesstoken/{token.pk}/change/"
    ).content.decode()

    assert token.token_prefix in listing
    for text in (listing, page):
        assert secret not in text
        assert token.token_digest not in text


def test_forwarding_settings_are_editable_in_the_admin(admin_client):
    from projects.models import ApplicationSettings, Group

    settings_row = ApplicationSettings.load()
    group = make_project().namespace

    response = admin_client.post(
        f"/admin/projects/applicationsettings/{settings_row.pk}/change/",
        {"pypi_package_requests_forwarding": "",
         "pypi_package_requests_forwarding_mode": "redirect",
         "pypi_upstream_min_release_age_hours": "48"},
    )
    group_page = admin_client.get(f"/admin/projects/group/{group.pk}/change/").content.decode()

    assert response.status_code == 302
    assert ApplicationSettings.load().pypi_package_requests_forwarding is False
    assert ApplicationSettings.load().pypi_package_requests_forwarding_mode == "redirect"
    assert ApplicationSettings.load().pypi_upstream_min_release_age_hours == 48
    assert 'name="pypi_package_requests_forwarding_mode"' in group_page
    assert 'name="pypi_package_requests_forwarding"' in group_page
    assert Group.objects.get(pk=group.pk).pypi_package_requests_forwarding is None


def test_minted_tokens_show_the_claims_that_minted_them_and_never_the_secret(admin_client):
    from auth_tokens.models import PublishingToken
    from tests.factories import make_publishing_token

    token, secret = make_publishing_token(make_project())
    PublishingToken.objects.filter(pk=token.pk).update(claims={
        "repository": "octo/app", "ref": "refs/tags/v1.0",
        "job_url": "https://github.com/octo/app/actions/runs/42",
    })

    listing = admin_client.get("/admin/auth_tokens/publishingtoken/").content.decode()
    page = admin_client.get(
        f"/admin/auth_tokens/publishingtoken/{token.pk}/change/"
    ).content.decode()

    assert "GitHub Actions octo/app" in listing
    assert "refs/tags/v1.0" in listing
    assert 'href="https://github.com/octo/app/actions/runs/42"' in listing
    assert "&quot;repository&quot;: &quot;octo/app&quot;" in page
    for text in (listing, page):
        assert secret not in text
        assert token.token_digest not in text
