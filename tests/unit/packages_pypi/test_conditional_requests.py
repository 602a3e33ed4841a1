"""Conditional requests on index pages and downloads follow RFC 9110, and a 304 tells no lies.

`If-None-Match` may be `*`, a list, or weak tags (§13.1.2); a 304 carries the headers its 200
would (ETag, Vary, Cache-Control; §15.4.5) and no Content-Type or Content-Length of its own:
poetry copies a 304's headers onto the body it has cached.
"""

from datetime import timedelta
from email.utils import parsedate_to_datetime

import pytest
from django.urls import resolve
from django.utils.http import http_date
from rest_framework.settings import api_settings
from rest_framework.views import APIView

from packages_pypi.models import PackageFile
from projects.roles import Visibility
from tests.factories import make_group, make_pat, make_project, make_user
from tests.pypi_driver import PIP_ACCEPT, Registry, group_scope, project_scope, wheel

pytestmark = pytest.mark.django_db


@pytest.fixture
def registry():
    return Registry()


@pytest.fixture
def project(registry):
    project = make_project("tools", namespace=make_group("acme"), visibility=Visibility.PUBLIC)
    admin = ("root", make_pat(make_user("root", is_admin=True)))
    assert registry.upload(project.pk, wheel("sample-project"), admin).status_code == 201
    return project


SCOPES = [project_scope, lambda project: group_scope(project.namespace)]


def _page(registry, scope: str, accept: str = "text/html", **headers):
    return registry.client.get(f"/api/v4/{scope}/simple/sample-project/", HTTP_ACCEPT=accept,
                               **headers)


@pytest.mark.parametrize("scope_of", SCOPES, ids=["project", "group"])
@pytest.mark.parametrize("if_none_match", [
    "*",
    "{etag}",
    'W/{etag}',
    '"other", {etag}',
    '"other",{etag} , "more"',
])
def test_if_none_match_is_parsed_as_rfc_9110_says(registry, project, scope_of, if_none_match):
    scope = scope_of(project)
    etag = _page(registry, scope)["ETag"]

    response = _page(registry, scope, HTTP_IF_NONE_MATCH=if_none_match.format(etag=etag))

    assert response.status_code == 304


@pytest.mark.parametrize("scope_of", SCOPES, ids=["project", "group"])
@pytest.mark.parametrize("if_none_match", ['"other"', "{bare}", '"x{bare}"', "W/*"])
def test_an_if_none_match_that_names_another_tag_gets_the_page(
    registry, project, scope_of, if_none_match
):
    scope = scope_of(project)
    etag = _page(registry, scope)["ETag"]

    response = _page(registry, scope, HTTP_IF_NONE_MATCH=if_none_match.format(bare=etag[1:-1]))

    assert response.status_code == 200 and response["ETag"] == etag


@pytest.mark.parametrize("scope_of", SCOPES, ids=["project", "group"])
@pytest.mark.parametrize("accept", [PIP_ACCEPT, "text/html"])
def test_a_304_carries_the_200s_validators_and_no_body_headers(
    registry, project, scope_of, accept
):
    scope = scope_of(project)
    full = _page(registry, scope, accept)

    cached = _page(registry, scope, accept, HTTP_IF_NONE_MATCH=full["ETag"])

    assert cached.status_code == 304 and cached.content == b""
    for header in ("ETag", "Vary", "Cache-Control"):
        assert cached[header] == full[header], header
    assert "Content-Type" not in cached
    assert "Content-Length" not in cached


def test_downloads_follow_rfc_9110_too(registry, project):
    scope = project_scope(project)
    dist = wheel("sample-project")

    star = registry.download(scope, dist.sha256, dist.filename, HTTP_IF_NONE_MATCH="*")
    listed = registry.download(scope, dist.sha256, dist.filename,
                               HTTP_IF_NONE_MATCH=f'"other", W/"{dist.sha256}"')
    other = registry.download(scope, dist.sha256, dist.filename, HTTP_IF_NONE_MATCH='"other"')
    substring = registry.download(scope, dist.sha256, dist.filename,
                                  HTTP_IF_NONE_MATCH=f'"x{dist.sha256}"')

    assert star.status_code == listed.status_code == 304
    assert star["ETag"] == f'"{dist.sha256}"'
    assert "Content-Type" not in star and "Content-Length" not in star
    assert other.status_code == substring.status_code == 200


def test_core_metadata_answers_a_matching_etag_with_304(registry, project):
    dist = wheel("sample-project")
    url = f"/api/v4/{project_scope(project)}/files/{dist.sha256}/{dist.filename}.metadata"
    etag = registry.client.get(url)["ETag"]

    cached = registry.client.get(url, HTTP_IF_NONE_MATCH=etag)

    assert cached.status_code == 304 and cached["ETag"] == etag


@pytest.mark.parametrize("suffix", ["", ".metadata"], ids=["file", "core metadata"])
def test_if_modified_since_is_honoured_where_there_is_a_date(registry, project, suffix):
    """A file's bytes never change once uploaded: its upload time is its Last-Modified."""
    dist = wheel("sample-project")
    url = f"/api/v4/{project_scope(project)}/files/{dist.sha256}/{dist.filename}{suffix}"
    first = registry.client.get(url)
    uploaded = parsedate_to_datetime(first["Last-Modified"])

    unchanged = registry.client.get(url, HTTP_IF_MODIFIED_SINCE=first["Last-Modified"])
    older = registry.client.get(
        url, HTTP_IF_MODIFIED_SINCE=http_date((uploaded - timedelta(days=1)).timestamp())
    )
    # If-None-Match wins over If-Modified-Since (RFC 9110 §13.1.3).
    other_tag = registry.client.get(
        url, HTTP_IF_MODIFIED_SINCE=first["Last-Modified"], HTTP_IF_NONE_MATCH='"other"'
    )

    assert first.status_code == 200
    assert abs((uploaded - PackageFile.objects.get().created_at).total_seconds()) < 1
    assert unchanged.status_code == 304
    assert unchanged["Last-Modified"] == first["Last-Modified"]
    assert unchanged["ETag"] == first["ETag"]
    assert older.status_code == 200
    assert other_tag.status_code == 200


@pytest.mark.parametrize("path", [
    "/api/v4/projects/1/packages/pypi",
    "/api/v4/projects/1/packages/pypi/simple/",
    "/api/v4/projects/1/packages/pypi/simple/name/",
    f"/api/v4/projects/1/packages/pypi/files/{'0' * 64}/x.whl",
    "/api/v4/groups/1/-/packages/pypi/simple/",
    "/api/v4/groups/1/-/packages/pypi/simple/name/",
    f"/api/v4/groups/1/-/packages/pypi/files/{'0' * 64}/x.whl",
])
def test_protocol_endpoints_are_drf_views_with_the_rest_apis_authentication(path):
    view = resolve(path).func.view_class

    assert issubclass(view, APIView)
    assert view.authentication_classes == api_settings.DEFAULT_AUTHENTICATION_CLASSES
    assert view().get_exception_handler() is api_settings.EXCEPTION_HANDLER
