"""Parsing upstream pages: what is kept, what is dropped, what refuses the page."""

import json

import pytest

from packages_pypi.upstream.client import UpstreamRefused
from packages_pypi.upstream.pages import parse_page, parse_upload_time

SHA = "a" * 64
URL = "https://pypi.example/simple/demo/"
JSON = "application/vnd.pypi.simple.v1+json"


@pytest.fixture(autouse=True)
def _upstream(settings, monkeypatch):
    settings.REGISTRY_PYPI_UPSTREAM_URL = "https://pypi.example/simple"
    settings.REGISTRY_PYPI_UPSTREAM_FILE_HOSTS = ["files.pythonhosted.org"]
    # No internet here: the file host resolves to its public address as it would outside.
    monkeypatch.setattr(
        "packages_pypi.upstream.client.socket.getaddrinfo",
        lambda host, port: [(2, 1, 6, "", ("151.101.0.223", 0))],
    )


def parse_json(files: list, **top: object):
    body = json.dumps({"meta": {"api-version": "1.1"}, "files": files, **top}).encode()
    return parse_page(content_type=JSON, body=body, page_url=URL, name="demo")


def test_json_keeps_the_upstream_facts():
    page = parse_json([{
        "filename": "demo-1.0-py3-none-any.whl",
        "url": "https://files.pythonhosted.org/packages/demo-1.0-py3-none-any.whl",
        "hashes": {"sha256": SHA.upper()}, "size": 42, "requires-python": ">=3.8",
        "upload-time": "2024-01-02T03:04:05Z", "yanked": True,
        "core-metadata": {"sha256": "b" * 64},
    }], **{"project-status": {"status": "archived", "reason": "done"}})

    (entry,) = page.files
    assert (entry.sha256, entry.size, entry.requires_python) == (SHA, 42, ">=3.8")
    assert (entry.yanked_reason, entry.core_metadata_sha256) == ("", "b" * 64)
    assert entry.uploaded_at.isoformat() == "2024-01-02T03:04:05+00:00"
    assert (page.status, page.status_reason) == ("archived", "done")


@pytest.mark.parametrize("item", [
    {"filename": "demo-1.0.tar.gz", "url": "demo-1.0.tar.gz", "hashes": {"md5": "x"}},
    {"filename": "other-1.0.tar.gz", "url": "other-1.0.tar.gz", "hashes": {"sha256": SHA}},
    {"filename": "demo-1.0.egg", "url": "demo-1.0.egg", "hashes": {"sha256": SHA}},
    {"filename": "demo-1.0.tar.gz?x", "url": "x", "hashes": {"sha256": SHA}},
    {"filename": "demo-1.0-bad.whl", "url": "x", "hashes": {"sha256": SHA}},
])
def test_files_we_cannot_verify_or_serve_are_dropped(item):
    assert parse_json([item]).files == []


def test_relative_urls_resolve_against_the_page_and_unknown_statuses_are_active():
    page = parse_json([{"filename": "demo-1.0.tar.gz", "url": "../../files/demo-1.0.tar.gz",
                        "hashes": {"sha256": SHA}, "size": True}],
                      **{"project-status": {"status": "haunted"}})

    assert page.files[0].url == "https://pypi.example/files/demo-1.0.tar.gz"
    assert page.files[0].size is None
    assert page.status == "active"


def test_html_is_understood():
    body = (
        '<html><head><meta name="pypi:project-status" content="deprecated">'
        '<meta name="pypi:project-status-reason" content="use demo2"></head><body>'
        f'<a href="https://files.pythonhosted.org/demo-1.0.tar.gz#sha256={SHA}" '
        'data-requires-python="&gt;=3.9" data-yanked="bad" '
        f'data-dist-info-metadata="sha256={"c" * 64}">demo-1.0.tar.gz</a>'
        '<a href="/x/demo-2.0.tar.gz#md5=abc">no sha256</a></body></html>'
    ).encode()

    page = parse_page(content_type="text/html; charset=utf-8", body=body, page_url=URL,
                      name="demo")

    (entry,) = page.files
    assert (entry.requires_python, entry.yanked_reason) == (">=3.9", "bad")
    assert entry.core_metadata_sha256 == "c" * 64
    assert (page.status, page.status_reason) == ("deprecated", "use demo2")


def test_a_file_on_a_host_not_allowed_refuses_the_page():
    with pytest.raises(UpstreamRefused, match="not allowed"):
        parse_json([{"filename": "demo-1.0.tar.gz", "url": "https://evil.example/demo-1.0.tar.gz",
                     "hashes": {"sha256": SHA}}])


@pytest.mark.parametrize("text", ["yesterday", "2024-01-02T03:04:05"])
def test_an_upload_time_without_a_zone_or_format_is_none(text):
    assert parse_upload_time(text) is None
