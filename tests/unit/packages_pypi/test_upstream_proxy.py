"""Proxy mode through the protocol views: upstream pages as our pages, files through our
files route, verified and cached, and what happens when the upstream fails or lies."""

import hashlib
import json

import pytest
import requests
from django.core.cache import cache

from packages_pypi.models import UpstreamEvent, UpstreamFile, UpstreamPage
from projects.audit.models import AuditEvent
from projects.models import ApplicationSettings
from projects.roles import Visibility
from tests.factories import make_group, make_pat, make_project, make_user
from tests.fakes.upstream import FakeUpstream
from tests.pypi_driver import PIP_ACCEPT, Registry, group_scope, project_scope, wheel

pytestmark = pytest.mark.django_db

JSON = "application/vnd.pypi.simple.v1+json"


@pytest.fixture
def project():
    group = make_group("acme", visibility=Visibility.PUBLIC)
    return make_project("tools", namespace=group, visibility=Visibility.PUBLIC)


def instance_set(**fields: object) -> None:
    ApplicationSettings.load()
    ApplicationSettings.objects.filter(pk=1).update(**fields)


def page(scope: str, name: str, accept: str = JSON):
    response = Registry().simple(scope, name, accept=accept)
    assert response.status_code == 200, response.content
    return response


def download(scope: str, file_json: dict, **headers):
    path = file_json["url"].split("/api/v4/", 1)[1].split("#")[0]
    response = Registry().client.get(f"/api/v4/{path}", **headers)
    return response, b"".join(response.streaming_content) if response.streaming else b""


def test_new_instances_proxy():
    assert ApplicationSettings.load().pypi_package_requests_forwarding_mode == "proxy"


@pytest.mark.parametrize("kind", ["project", "group"])
def test_an_upstream_page_is_ours_with_the_upstream_facts(upstream, project, kind):
    import datetime

    dist = wheel("upstream-lib", "2.0")
    uploaded = datetime.datetime(2026, 1, 2, 3, 4, 5, 123456, tzinfo=datetime.UTC)
    upstream.add(dist.filename, dist.data, upload_time=uploaded, requires_python=">=3.9",
                 yanked="broken build")
    scope = project_scope(project) if kind == "project" else group_scope(project.namespace)

    body = page(scope, "Upstream_Lib").json()

    (entry,) = body["files"]
    assert body["name"] == "upstream-lib"
    assert body["meta"]["api-version"] == "1.4"
    assert entry["url"].startswith(f"http://testserver/api/v4/{scope}/files/{dist.sha256}/")
    assert entry["hashes"] == {"sha256": dist.sha256}
    assert entry["size"] == len(dist.data)
    assert entry["upload-time"] == "2026-01-02T03:04:05.123456Z"
    assert entry["requires-python"] == ">=3.9"
    assert entry["yanked"] == "broken build"
    assert entry["core-metadata"]["sha256"]
    assert upstream.asked_for("/simple/upstream-lib/")


def test_html_clients_get_html_from_a_json_upstream_and_an_html_upstream_is_understood(
    settings, project
):
    with FakeUpstream(json_pages=False) as html_only:
        settings.REGISTRY_PYPI_UPSTREAM_URL = f"{html_only.url}/simple"
        dist = wheel("html-lib", "1.0")
        html_only.add(dist.filename, dist.data, yanked="")

        html = page(project_scope(project), "html-lib", accept="text/html").content.decode()
        as_json = page(project_scope(project), "html-lib").json()

    assert f"files/{dist.sha256}/{dist.filename}#sha256={dist.sha256}" in html
    assert 'data-yanked=""' in html
    assert as_json["files"][0]["yanked"] is True


def test_json_for_an_html_upstream_never_claims_size_zero(settings, project):
    # PEP 700 makes `size` mandatory at API 1.1+: unknown, the page says 1.0 and leaves it
    # out; once the file is in our cache, its stored size is given and the page is 1.4.
    with FakeUpstream(json_pages=False) as html_only:
        settings.REGISTRY_PYPI_UPSTREAM_URL = f"{html_only.url}/simple"
        dist = wheel("sizeless-lib", "1.0")
        html_only.add(dist.filename, dist.data)
        scope = project_scope(project)

        before = page(scope, "sizeless-lib").json()
        response, data = download(scope, before["files"][0])
        after = page(scope, "sizeless-lib").json()

    assert before["meta"]["api-version"] == "1.0"
    assert "size" not in before["files"][0]
    assert response.status_code == 200 and data == dist.data
    assert after["meta"]["api-version"] == "1.4"
    assert after["files"][0]["size"] == len(dist.data)
    html = page(scope, "sizeless-lib", accept="text/html").content.decode()
    assert '<meta name="pypi:repository-version" content="1.4">' in html


def test_the_page_is_cached_for_the_ttl_then_revalidated_with_its_etag(upstream, project,
                                                                       settings):
    dist = wheel("cached-lib", "1.0")
    upstream.add(dist.filename, dist.data)
    page(project_scope(project), "cached-lib")
    page(project_scope(project), "cached-lib")
    assert len(upstream.asked_for("/simple/cached-lib/")) == 1

    settings.REGISTRY_PYPI_UPSTREAM_TTL = 0
    cache.clear()  # a new TTL comes with a restart: the kept renderings lived by the old one
    page(project_scope(project), "cached-lib")

    assert len(upstream.asked_for("/simple/cached-lib/")) == 2
    assert UpstreamPage.objects.get(normalized_name="cached-lib").etag


def test_a_file_is_fetched_once_verified_stored_and_then_served_from_storage(upstream,
                                                                             project):
    dist = wheel("fetched-lib", "1.0")
    upstream.add(dist.filename, dist.data)
    (entry,) = page(project_scope(project), "fetched-lib").json()["files"]

    first, first_bytes = download(project_scope(project), entry)
    second, second_bytes = download(project_scope(project), entry)

    assert first.status_code == second.status_code == 200
    assert first_bytes == second_bytes == dist.data
    assert len(upstream.asked_for(f"/files/{dist.filename}")) == 1
    stored = UpstreamFile.objects.get(file_name=dist.filename)
    assert stored.cached and stored.size == len(dist.data)
    assert second["ETag"] == f'"{dist.sha256}"'
    ranged, part = download(project_scope(project), entry, HTTP_RANGE="bytes=0-9")
    assert ranged.status_code == 206 and part == dist.data[:10]


def test_core_metadata_is_proxied_verified_and_cached(upstream, project):
    dist = wheel("meta-lib", "1.0")
    upstream.add(dist.filename, dist.data)
    (entry,) = page(project_scope(project), "meta-lib").json()["files"]
    path = entry["url"].split("/api/v4/", 1)[1].split("#")[0]

    first = Registry().client.get(f"/api/v4/{path}.metadata")
    second = Registry().client.get(f"/api/v4/{path}.metadata")

    assert first.status_code == second.status_code == 200
    assert hashlib.sha256(first.content).hexdigest() == entry["core-metadata"]["sha256"]
    assert b"Name: meta-lib" in first.content
    assert len(upstream.asked_for(f"{dist.filename}.metadata")) == 1


def test_a_tampered_file_aborts_stores_nothing_and_is_recorded(upstream, project):
    dist = wheel("tampered-lib", "1.0")
    upstream.add(dist.filename, dist.data).served_bytes = dist.data[:-3] + b"xyz"
    (entry,) = page(project_scope(project), "tampered-lib").json()["files"]

    response = Registry().client.get("/api/v4/" + entry["url"].split("/api/v4/")[1].split("#")[0])
    received = b""
    with pytest.raises(Exception, match="does not match its sha256"):
        for chunk in response.streaming_content:
            received += chunk

    assert received != dist.data and len(received) < len(dist.data)
    assert not UpstreamFile.objects.get(file_name=dist.filename).cached
    event = UpstreamEvent.objects.get()
    assert (event.kind, event.file_name) == ("hash_mismatch", dist.filename)
    audited = AuditEvent.objects.get(event_name="pypi_upstream_hash_mismatch")
    assert audited.details["sha256"] == event.sha256


def test_when_the_upstream_is_gone_the_cache_serves_and_a_name_never_fetched_is_502(
    upstream, project, settings
):
    dist = wheel("offline-lib", "1.0")
    upstream.add(dist.filename, dist.data)
    (entry,) = page(project_scope(project), "offline-lib").json()["files"]
    download(project_scope(project), entry)
    upstream.stop()
    settings.REGISTRY_PYPI_UPSTREAM_TTL = 0  # stale: it would revalidate, and cannot

    again = page(project_scope(project), "offline-lib").json()
    _, data = download(project_scope(project), entry)
    never = Registry().simple(project_scope(project), "never-fetched-lib", accept=JSON)

    assert again["files"] == [entry]
    assert data == dist.data
    assert never.status_code == 502
    assert "cannot reach" in never.json()["message"]


def test_offline_mode_serves_the_cache_and_asks_nothing(upstream, project):
    dist = wheel("airgap-lib", "1.0")
    upstream.add(dist.filename, dist.data)
    page(project_scope(project), "airgap-lib")
    instance_set(pypi_upstream_offline=True)
    before = list(upstream.requests)

    cached = Registry().simple(project_scope(project), "airgap-lib", accept=JSON)
    uncached_name = Registry().simple(project_scope(project), "other-lib", accept=JSON)
    uncached_file, _ = download(project_scope(project), cached.json()["files"][0])

    assert cached.status_code == 200
    assert uncached_name.status_code == uncached_file.status_code == 502
    assert "offline" in uncached_name.json()["message"]
    assert upstream.requests == before


def test_a_private_name_is_never_fetched_in_proxy_mode(upstream, project):
    admin = make_user("root", is_admin=True)
    private = wheel("secret-lib", "1.0")
    Registry().upload(project.pk, private, ("root", make_pat(admin)), name="secret-lib")
    other = make_project("other", namespace=project.namespace, visibility=Visibility.PUBLIC)
    upstream.add(*wheel("secret-lib", "99.0").__dict__.values())

    miss = Registry().simple(project_scope(other), "secret-lib", accept=JSON)
    forged = Registry().download(project_scope(other), "a" * 64, "secret_lib-99.0-py3-none-any.whl")

    assert miss.status_code == forged.status_code == 404
    assert upstream.requests == []


def test_forwarding_off_is_a_404_and_asks_nothing(upstream, project):
    instance_set(pypi_package_requests_forwarding=False)
    upstream.add(*wheel("public-lib", "1.0").__dict__.values())

    assert Registry().simple(project_scope(project), "public-lib").status_code == 404
    assert upstream.requests == []


def test_redirect_mode_is_gitlabs_redirect(upstream, project):
    group = project.namespace
    group.pypi_package_requests_forwarding_mode = "redirect"
    group.save()

    response = Registry().simple(project_scope(project), "Public.Lib")

    assert response.status_code == 302
    assert response["Location"] == f"{upstream.url}/simple/public-lib/"
    assert upstream.requests == []


def test_a_file_not_on_the_upstream_page_is_404(upstream, project):
    dist = wheel("listed-lib", "1.0")
    upstream.add(dist.filename, dist.data)
    page(project_scope(project), "listed-lib")

    wrong_hash = Registry().download(project_scope(project), "b" * 64, dist.filename)

    assert wrong_hash.status_code == 404
    assert not upstream.asked_for("/files/")


def test_hosted_pages_are_unchanged_by_proxy_mode(upstream, project):
    admin = make_user("root", is_admin=True)
    Registry().upload(project.pk, wheel("hosted-lib"), ("root", make_pat(admin)),
                      name="hosted-lib")

    body = json.loads(Registry().simple(project_scope(project), "hosted-lib",
                                        accept=PIP_ACCEPT).content)

    assert [f["filename"] for f in body["files"]] == ["hosted_lib-1.0.0-py3-none-any.whl"]
    assert upstream.requests == []


def test_the_cache_lives_on_s3_and_later_downloads_are_presigned_redirects(
    upstream, project, s3_storage
):
    dist = wheel("s3-cached-lib", "1.0")
    upstream.add(dist.filename, dist.data)
    (entry,) = page(project_scope(project), "s3-cached-lib").json()["files"]

    _, first_bytes = download(project_scope(project), entry)
    second = Registry().client.get("/api/v4/" + entry["url"].split("/api/v4/")[1])

    assert first_bytes == dist.data
    assert second.status_code == 302
    assert s3_storage in second["Location"] and "Signature" in second["Location"]
    assert requests.get(second["Location"], timeout=30).content == dist.data
