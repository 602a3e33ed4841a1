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
