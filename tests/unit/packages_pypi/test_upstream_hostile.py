"""The upstream is untrusted input: every way it can lie or stall is a clear 502, caches
nothing, and reaches no other host."""

import pytest

from packages_pypi.models import UpstreamFile, UpstreamPage
from packages_pypi.upstream.client import UpstreamRefused, check_url
from projects.roles import Visibility
from tests.factories import make_group, make_project
from tests.fakes.upstream import FakeUpstream, Hostile
from tests.pypi_driver import Registry, project_scope, wheel

pytestmark = pytest.mark.django_db

JSON = "application/vnd.pypi.simple.v1+json"


@pytest.fixture
def elsewhere():
    """Another server on this machine: an internal service the upstream wants us to reach."""
    with FakeUpstream() as fake:
        fake.add(*wheel("victim-lib", "1.0").__dict__.values())
        yield fake


@pytest.fixture
def scope():
    group = make_group("acme", visibility=Visibility.PUBLIC)
    return project_scope(make_project("tools", namespace=group, visibility=Visibility.PUBLIC))


def ask(scope: str, name: str):
    return Registry().simple(scope, name, accept=JSON)


def assert_refused(response, reason: str) -> None:
    assert response.status_code == 502, response.content
    assert reason in response.json()["message"]
    assert not UpstreamPage.objects.exists()
    assert not UpstreamFile.objects.exists()


def test_a_file_url_on_a_host_not_allowed_refuses_the_page(upstream, elsewhere, scope):
    dist = wheel("crafted-lib", "1.0")
    upstream.add(dist.filename, dist.data)
    upstream.hostile["crafted-lib"] = Hostile(file_url_prefix=f"{elsewhere.url}/files/")

    assert_refused(ask(scope, "crafted-lib"), "host that is not allowed")
    assert elsewhere.requests == []


def test_a_page_redirect_to_another_host_is_not_followed(upstream, elsewhere, scope):
    upstream.hostile["moved-lib"] = Hostile(redirect_to=f"{elsewhere.url}/simple/victim-lib/")

    assert_refused(ask(scope, "moved-lib"), "redirect to another host")
    assert elsewhere.requests == []


def test_a_file_redirect_to_another_host_is_not_followed(upstream, elsewhere, scope):
    dist = wheel("hop-lib", "1.0")
    upstream.add(dist.filename, dist.data)
    upstream.file_redirects[dist.filename] = f"{elsewhere.url}/files/{dist.filename}"
    (entry,) = ask(scope, "hop-lib").json()["files"]

    response = Registry().client.get("/api/v4/" + entry["url"].split("/api/v4/")[1])

    assert response.status_code == 502
    assert "redirect to another host" in response.json()["message"]
    assert not UpstreamFile.objects.get().cached
    assert elsewhere.requests == []


def test_an_oversized_page_is_refused(upstream, scope):
    upstream.hostile["huge-lib"] = Hostile(body=b"x" * (50 * 1024 * 1024),
                                           content_type=JSON)

    assert_refused(ask(scope, "huge-lib"), "larger than")


def test_an_oversized_page_without_a_length_is_cut_at_the_bound(upstream, scope, settings):
    settings.REGISTRY_PYPI_UPSTREAM_MAX_PAGE_BYTES = 1000
    dist = wheel("long-lib", "1.0")
    upstream.add(dist.filename, dist.data)
    upstream.hostile["long-lib"] = Hostile(body=b'{"files": [' + b" " * 5000 + b"]}",
                                           content_type=JSON)

    assert_refused(ask(scope, "long-lib"), "larger than 1000 bytes")


@pytest.mark.parametrize(("body", "content_type", "reason"), [
    (b'{"files": [', JSON, "malformed"),
    (b'{"files": {"a": 1}}', JSON, "malformed"),
    (b'["not", "an", "object"]', JSON, "malformed"),
    (b'{"meta": {"api-version": "2.0"}, "files": []}', JSON, "API version"),
    (b"<html></html>", "application/octet-stream", "wrong content type"),
    (b"\xff\xfe", "text/html", "not UTF-8"),
])
def test_a_malformed_page_is_refused(upstream, scope, body, content_type, reason):
    upstream.hostile["bad-lib"] = Hostile(body=body, content_type=content_type)

    assert_refused(ask(scope, "bad-lib"), reason)


def test_a_stalled_upstream_times_out(upstream, scope, settings):
    settings.REGISTRY_PYPI_UPSTREAM_READ_TIMEOUT = 0.5
    upstream.hostile["slow-lib"] = Hostile(stall_seconds=3, body=b"{}", content_type=JSON)

    assert_refused(ask(scope, "slow-lib"), "timed out")


def test_an_upstream_5xx_without_a_cached_page_is_a_502(upstream, scope):
    upstream.hostile["down-lib"] = Hostile(status=503, body=b"down", content_type="text/html")

    assert_refused(ask(scope, "down-lib"), "answered 503")


def test_a_file_host_that_resolves_to_an_internal_address_is_refused(settings):
    settings.REGISTRY_PYPI_UPSTREAM_URL = "https://pypi.example/simple"
    settings.REGISTRY_PYPI_UPSTREAM_FILE_HOSTS = ["localhost"]

    with pytest.raises(UpstreamRefused, match="non-public address"):
        check_url("http://localhost/files/x-1.0.tar.gz")
    for url in ("http://localhost:8080/x.whl", "ftp://pypi.example/x.whl",
                "https://files.example/x.whl", "https://pypi.example:444/x.whl"):
        with pytest.raises(UpstreamRefused):
            check_url(url)
    check_url("https://pypi.example/files/x-1.0.tar.gz")  # the upstream's own host
