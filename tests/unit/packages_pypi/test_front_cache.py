"""The front cache: a repeated anonymous index request is answered before Django, and only
that; every write, credential, condition and non-page answer goes to Django."""

import contextlib
import io
import sys

import pytest
from django.core.handlers.wsgi import WSGIHandler
from django.core.signals import request_finished, request_started
from django.db import close_old_connections

from packages_pypi.protocol.front_cache import front_cache
from projects.models import ApplicationSettings
from projects.roles import Visibility
from tests.conftest import basic_auth
from tests.factories import make_group, make_pat, make_project, make_user
from tests.pypi_driver import PIP_ACCEPT, Registry, group_scope, project_scope, wheel

pytestmark = pytest.mark.django_db


class CountingDjango:
    """Django's WSGI handler, counting the requests that reached it."""

    def __init__(self) -> None:
        self.handler = WSGIHandler()
        self.calls = 0

    def __call__(self, environ, start_response):
        self.calls += 1
        return self.handler(environ, start_response)


@pytest.fixture
def django_app():
    return CountingDjango()


@contextlib.contextmanager
def _keeping_the_tests_connection():
    """As Django's test client does round each request (and reconnects after it, so this is
    needed round every one): the test's transaction keeps its database connection."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        yield
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


@pytest.fixture
def front(django_app):
    return front_cache(django_app)


@pytest.fixture
def admin():
    return ("root", make_pat(make_user("root", is_admin=True)))


def _get(app, path, accept="text/html", **extra):
    environ = {
        "REQUEST_METHOD": "GET", "SCRIPT_NAME": "", "PATH_INFO": path, "QUERY_STRING": "",
        "SERVER_NAME": "testserver", "SERVER_PORT": "80", "HTTP_HOST": "testserver",
        "SERVER_PROTOCOL": "HTTP/1.1", "wsgi.url_scheme": "http", "wsgi.input": io.BytesIO(),
        "wsgi.errors": sys.stderr, "HTTP_ACCEPT": accept, **extra,
    }
    answered = {}

    def start_response(status, headers, exc_info=None):
        answered.update(status=int(status[:3]), headers=dict(headers))

    with _keeping_the_tests_connection():
        result = app(environ, start_response)
        body = b"".join(result)
        if hasattr(result, "close"):
            result.close()
    return answered["status"], answered["headers"], body


def _public_project():
    group = make_group("acme", visibility=Visibility.PUBLIC)
    return make_project("tools", namespace=group, visibility=Visibility.PUBLIC)


def _path(scope, name=None):
    return f"/api/v4/{scope}/simple/" + (f"{name}/" if name else "")


@pytest.fixture
def scopes():
    project = _public_project()
    return project, {"project": project_scope(project), "group": group_scope(project.namespace)}


@pytest.mark.parametrize("scope", ["project", "group"])
@pytest.mark.parametrize("name", [None, "sample-project"], ids=["index", "page"])
def test_a_repeated_anonymous_page_is_answered_before_django(
    front, django_app, admin, scopes, django_assert_num_queries, scope, name
):
    project, paths = scopes
    Registry().upload(project.pk, wheel("sample-project"), admin)
    first = _get(front, _path(paths[scope], name))

    with django_assert_num_queries(0):
        second = _get(front, _path(paths[scope], name))

    assert django_app.calls == 1
    assert first == second
    assert first[0] == 200 and b"sample" in first[2]
    assert first[1]["Cache-Control"] == "public, no-cache" and first[1]["Vary"] == "Accept"


def test_an_upload_ends_the_front_copy(front, django_app, admin, scopes):
    project, paths = scopes
    Registry().upload(project.pk, wheel("sample-project"), admin)
    for _ in range(2):
        assert b"1.0.0" in _get(front, _path(paths["group"], "sample-project"))[2]

    Registry().upload(project.pk, wheel("sample-project", "2.0.0"), admin)
    page = _get(front, _path(paths["group"], "sample-project"))[2]

    assert b"2.0.0" in page
    assert django_app.calls == 2


def test_a_project_turned_private_is_no_longer_answered_in_front(front, admin, scopes):
    project, paths = scopes
    Registry().upload(project.pk, wheel("sample-project"), admin)
    assert _get(front, _path(paths["project"], "sample-project"))[0] == 200

    project.visibility = Visibility.PRIVATE
    project.save()

    status, headers, _ = _get(front, _path(paths["project"], "sample-project"))
    assert status == 401 and headers["WWW-Authenticate"].startswith("Basic")


@pytest.mark.parametrize("extra", [
    {"HTTP_AUTHORIZATION": "Basic x"}, {"HTTP_PRIVATE_TOKEN": "glpat-x"},
    {"HTTP_DEPLOY_TOKEN": "x"}, {"HTTP_JOB_TOKEN": "x"}, {"HTTP_COOKIE": "sessionid=x"},
    {"HTTP_IF_NONE_MATCH": '"x"'}, {"HTTP_RANGE": "bytes=0-1"}, {"QUERY_STRING": "a=1"},
    {"REQUEST_METHOD": "HEAD"},
], ids=lambda extra: next(iter(extra)))
def test_credentials_conditions_queries_and_other_methods_go_to_django(
    front, django_app, admin, scopes, extra
):
    project, paths = scopes
    Registry().upload(project.pk, wheel("sample-project"), admin)
    _get(front, _path(paths["project"], "sample-project"))  # kept for plain anonymous GETs

    for _ in range(2):
        _get(front, _path(paths["project"], "sample-project"), **extra)

    assert django_app.calls == 3


def test_a_members_token_never_gets_or_leaves_a_front_copy(front, django_app, admin, scopes):
    project, paths = scopes
    Registry().upload(project.pk, wheel("sample-project"), admin)
    project.visibility = Visibility.PRIVATE
    project.save()
    token = {"HTTP_AUTHORIZATION": basic_auth(*admin)}

    member = _get(front, _path(paths["project"], "sample-project"), **token)
    anonymous = [_get(front, _path(paths["project"], "sample-project")) for _ in range(2)]

    assert member[0] == 200 and b"sample" in member[2]
    assert [status for status, _, _ in anonymous] == [401, 401]
    assert django_app.calls == 3


def test_json_and_html_are_kept_apart(front, django_app, admin, scopes):
    project, paths = scopes
    Registry().upload(project.pk, wheel("sample-project"), admin)
    pages = [_get(front, _path(paths["project"], "sample-project"), accept=accept)
             for accept in (PIP_ACCEPT, "text/html", PIP_ACCEPT, "text/html")]

    assert pages[0] == pages[2] and pages[1] == pages[3]
    assert pages[0][1]["Content-Type"].startswith("application/vnd.pypi.simple.v1+json")
    assert pages[1][1]["Content-Type"].startswith("text/html")
    assert django_app.calls == 2


def test_the_host_a_page_names_is_part_of_its_key(front, django_app, admin, scopes, settings):
    settings.ALLOWED_HOSTS = ["testserver", "registry.example"]
    project, paths = scopes
    Registry().upload(project.pk, wheel("sample-project"), admin)
    path = _path(paths["project"], "sample-project")
    here = [_get(front, path) for _ in range(2)]
    there = [_get(front, path, HTTP_HOST="registry.example") for _ in range(2)]

    assert b"http://testserver/" in here[1][2] and b"registry.example" not in here[1][2]
    assert b"http://registry.example/" in there[1][2]
    assert django_app.calls == 2


def test_a_miss_is_kept_until_the_name_is_uploaded(front, django_app, admin, scopes):
    instance = ApplicationSettings.load()
    instance.pypi_package_requests_forwarding = False
    instance.save()
    project, paths = scopes
    misses = [_get(front, _path(paths["project"], "sample-project")) for _ in range(2)]

    Registry().upload(project.pk, wheel("sample-project"), admin)
    page = _get(front, _path(paths["project"], "sample-project"))

    assert [status for status, _, _ in misses] == [404, 404] and misses[0] == misses[1]
    assert page[0] == 200
    assert django_app.calls == 2


def test_a_redirect_upstream_is_never_kept(front, django_app, scopes):
    instance = ApplicationSettings.load()
    instance.pypi_package_requests_forwarding = True
    instance.pypi_package_requests_forwarding_mode = "redirect"
    instance.save()
    _, paths = scopes

    answers = [_get(front, _path(paths["project"], "requests")) for _ in range(2)]

    assert [status for status, _, _ in answers] == [302, 302]
    assert django_app.calls == 2
