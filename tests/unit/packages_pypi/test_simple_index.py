"""Simple index pages: GitLab's HTML shape with our fixes, PEP 691 JSON, and constant queries."""

import hashlib
import json

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from packages_pypi.downloads import downloads_fold
from packages_pypi.models import Package, PackageFile
from packages_pypi.protocol.simple import MIME_HTML, MIME_JSON, MIME_TEXT_HTML, negotiate
from projects.roles import AccessLevel, Visibility
from tests.factories import add_member, make_group, make_pat, make_project, make_user
from tests.pypi_driver import PIP_ACCEPT, Registry, group_scope, project_scope, sdist, wheel

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_auth():
    return ("root", make_pat(make_user("root", is_admin=True)))


@pytest.fixture
def project():
    return make_project("tools", namespace=make_group("acme"), visibility=Visibility.PUBLIC)


@pytest.fixture
def registry():
    return Registry()


@pytest.mark.parametrize(
    ("accept", "expected"),
    [
        ("", MIME_TEXT_HTML),
        ("text/html", MIME_TEXT_HTML),
        ("*/*", MIME_TEXT_HTML),
        (PIP_ACCEPT, MIME_JSON),
        ("application/vnd.pypi.simple.latest+json", MIME_JSON),
        ("application/vnd.pypi.simple.v1+html", MIME_HTML),
        ("application/vnd.pypi.simple.v1+json;q=0.2, text/html", MIME_TEXT_HTML),
        ("application/vnd.pypi.simple.v1+json;q=0, text/html;q=0.5", MIME_TEXT_HTML),
        ("application/json, image/png", MIME_TEXT_HTML),
    ],
)
def test_content_negotiation_follows_pep_691(accept, expected):
    assert negotiate(accept) == expected


def test_project_page_html_has_gitlabs_shape_and_our_additions(registry, project, admin_auth):
    dist = wheel("My.Package", "1.0.0", requires_python=">=3.8")
    registry.upload(project.pk, dist, admin_auth, name="My.Package")
    metadata_sha = PackageFile.objects.get().core_metadata_sha256

    response = registry.simple(project_scope(project), "my-package")

    assert response["Content-Type"] == "text/html; charset=utf-8"
    assert response["Vary"] == "Accept"
    url = (f"http://testserver/api/v4/projects/{project.pk}/packages/pypi/files/{dist.sha256}/"
           f"{dist.filename}#sha256={dist.sha256}")
    assert response.content.decode() == (
        "<!DOCTYPE html>\n"
        "        <html>\n"
        "          <head>\n"
        '            <meta name="pypi:repository-version" content="1.4">\n'
        "            <title>Links for My.Package</title>\n"
        "          </head>\n"
        "          <body>\n"
        "            <h1>Links for My.Package</h1>\n"
        f'            <a href="{url}" data-requires-python="&gt;=3.8" '
        f'data-dist-info-metadata="sha256={metadata_sha}" '
        f'data-core-metadata="sha256={metadata_sha}">{dist.filename}</a>\n'
        "          </body>\n"
        "        </html>\n"
    )


@pytest.mark.parametrize("requested", ["my-package", "My.Package", "my_package", "MY--PACKAGE"])
def test_name_lookup_is_normalised_on_both_sides(registry, project, admin_auth, requested):
    registry.upload(project.pk, wheel("My.Package"), admin_auth, name="My.Package")

    response = registry.simple(project_scope(project), requested)

    assert response.status_code == 200


def test_requires_python_is_escaped(registry, project, admin_auth):
    evil = '"><script>alert(1)</script>'
    registry.upload(project.pk, wheel("sample-project"), admin_auth)
    # An upload refuses it now (an invalid specifier); a row written before still escapes.
    PackageFile.objects.update(requires_python=evil)

    page = registry.simple(project_scope(project), "sample-project").content.decode()

    assert 'data-requires-python="&quot;&gt;&lt;script&gt;alert(1)&lt;/script&gt;"' in page
    assert "<script>" not in page


def test_root_index_has_one_entry_per_name_sorted(registry, project, admin_auth):
    for name, version in [("zeta", "1.0"), ("sample-project", "1.0.0"),
                          ("sample-project", "2.0.0"), ("Alpha_Lib", "1.0")]:
        registry.upload(project.pk, wheel(name, version), admin_auth, name=name, version=version)

    html = registry.simple(project_scope(project)).content.decode()
    data = registry.simple(project_scope(project), accept=MIME_JSON).json()

    base = f"http://testserver/api/v4/projects/{project.pk}/packages/pypi/simple"
    assert html.count("<a ") == 3
    assert f'<a href="{base}/alpha-lib" data-requires-python="">Alpha_Lib</a>' in html
    assert html.index("alpha-lib") < html.index("sample-project") < html.index("zeta")
    assert data == {
        "meta": {"api-version": "1.4"},
        "projects": [{"name": "Alpha_Lib"}, {"name": "sample-project"}, {"name": "zeta"}],
    }


def test_project_page_json_carries_pep_700_and_658_fields(registry, project, admin_auth):
    whl, tgz = wheel("sample-project", "1.0.0", requires_python=">=3.8"), sdist(
        "sample-project", "2.0.0")
    registry.upload(project.pk, whl, admin_auth)
    registry.upload(project.pk, tgz, admin_auth, version="2.0.0")

    response = registry.simple(project_scope(project), "sample-project", accept=PIP_ACCEPT)

    assert response["Content-Type"] == "application/vnd.pypi.simple.v1+json; charset=utf-8"
    assert response["Vary"] == "Accept"
    data = json.loads(response.content)
    assert data["meta"] == {"api-version": "1.4"}
    assert data["name"] == "sample-project"
    assert data["project-status"] == {"status": "active"}
    assert data["versions"] == ["1.0.0", "2.0.0"]
    first, second = data["files"]
    stored = PackageFile.objects.get(file_name=whl.filename)
    assert first == {
        "filename": whl.filename,
        "url": f"http://testserver/api/v4/projects/{project.pk}/packages/pypi/files/"
               f"{whl.sha256}/{whl.filename}#sha256={whl.sha256}",
        "hashes": {"sha256": whl.sha256},
        "requires-python": ">=3.8",
        "size": len(whl.data),
        "upload-time": stored.created_at.strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
        "core-metadata": {"sha256": stored.core_metadata_sha256},
        "dist-info-metadata": {"sha256": stored.core_metadata_sha256},
        "yanked": False,
    }
    assert "requires-python" not in second


def test_core_metadata_file_is_served_with_the_advertised_hash(registry, project, admin_auth):
    dist = wheel("sample-project")
    registry.upload(project.pk, dist, admin_auth)

    response = registry.download(project_scope(project), dist.sha256, dist.filename + ".metadata")

    assert response.status_code == 200
    assert hashlib.sha256(response.content).hexdigest() == (
        PackageFile.objects.get().core_metadata_sha256
    )
    assert response.content.startswith(b"Metadata-Version: 2.1\nName: sample-project")


def test_files_pending_destruction_never_appear(registry, project, admin_auth):
    registry.upload(project.pk, wheel("sample-project"), admin_auth)
    registry.upload(project.pk, sdist("sample-project"), admin_auth)
    registry.upload(project.pk, wheel("gone", "1.0"), admin_auth, name="gone", version="1.0")
    PackageFile.objects.filter(file_name__endswith=".tar.gz").update(
        status=PackageFile.Status.PENDING_DESTRUCTION
    )
    Package.objects.filter(name="gone").update(status=Package.Status.PENDING_DESTRUCTION)
    gone_file = PackageFile.objects.get(package__name="gone")

    page = registry.simple(project_scope(project), "sample-project").content.decode()
    index = registry.simple(project_scope(project)).content.decode()
    download = registry.download(project_scope(project), gone_file.sha256, gone_file.file_name)

    assert ".tar.gz" not in page and ".whl" in page
    assert "gone" not in index
    assert download.status_code == 404


def test_group_pages_merge_projects_the_caller_may_read(registry, admin_auth):
    group = make_group("acme", visibility=Visibility.PRIVATE)
    shown = make_project("shown", namespace=group, visibility=Visibility.PRIVATE)
    hidden = make_project("hidden", namespace=make_group("sub", parent=group,
                          visibility=Visibility.PRIVATE), visibility=Visibility.PRIVATE)
    registry.upload(shown.pk, wheel("shared-name", "1.0"), admin_auth, version="1.0")
    registry.upload(hidden.pk, wheel("shared-name", "2.0"), admin_auth, version="2.0")
    registry.upload(hidden.pk, wheel("secret-lib", "1.0"), admin_auth, version="1.0")
    user = make_user("dev")
    add_member(group, user, AccessLevel.GUEST)
    add_member(shown, user, AccessLevel.DEVELOPER)
    project_only = make_user("out")
    add_member(shown, project_only, AccessLevel.REPORTER)

    as_member = ("dev", make_pat(user))
    page = registry.simple(group_scope(group), "shared-name", auth=as_member,
                           accept=MIME_JSON).json()
    as_project_member = registry.simple(group_scope(group), "shared-name",
                                        auth=("out", make_pat(project_only)))

    # Group members see the whole tree, subgroups included.
    assert page["versions"] == ["1.0", "2.0"]
    assert all(f"/groups/{group.pk}/-/packages/pypi/files/" in f["url"] for f in page["files"])
    # A member of one project sees the private group but not its package index (spec §4).
    assert as_project_member.status_code == 403


def test_group_index_hides_projects_the_caller_cannot_read(registry, admin_auth):
    group = make_group("acme", visibility=Visibility.PUBLIC)
    public = make_project("open", namespace=group, visibility=Visibility.PUBLIC)
    private = make_project("closed", namespace=group, visibility=Visibility.PRIVATE)
    registry.upload(public.pk, wheel("open-lib", "1.0"), admin_auth, name="open-lib")
    registry.upload(private.pk, wheel("closed-lib", "1.0"), admin_auth, name="closed-lib")
    closed = PackageFile.objects.get(package__name="closed-lib")

    index = registry.simple(group_scope(group)).content.decode()
    download = registry.download(group_scope(group), closed.sha256, closed.file_name)

    assert "open-lib" in index and "closed-lib" not in index
    # GitLab serves group downloads by sha256 alone; we check the project as well.
    assert download.status_code == 404


def _fill(group, versions, admin_auth, registry):
    project = make_project(namespace=group, visibility=Visibility.PRIVATE)
    for version in versions:
        registry.upload(project.pk, wheel("common-lib", version), admin_auth, version=version)
        registry.upload(project.pk, sdist("common-lib", version), admin_auth, version=version)
        name = f"lib-{project.pk}"
        registry.upload(project.pk, wheel(name, version), admin_auth, name=name, version=version)


@pytest.mark.parametrize("page", ["index", "detail"])
def test_group_pages_use_a_constant_number_of_queries(
    registry, admin_auth, django_assert_max_num_queries, page
):
    group = make_group("acme", visibility=Visibility.PRIVATE)
    reader = make_user("reader")
    add_member(group, reader, AccessLevel.REPORTER)
    auth = ("reader", make_pat(reader))
    name = "common-lib" if page == "detail" else None
    _fill(group, ["1.0"], admin_auth, registry)
    with CaptureQueriesContext(connection) as small:
        registry.simple(group_scope(group), name, auth=auth)
    small_count = len(small.captured_queries)  # now: every request clears the query log

    for index in range(6):
        _fill(make_group(parent=group, visibility=Visibility.PRIVATE) if index % 2 else group,
              ["1.0", "1.1", "2.0"], admin_auth, registry)
    with django_assert_max_num_queries(small_count):
        response = registry.simple(group_scope(group), name, auth=auth)

    assert response.status_code == 200
    assert response.content.count(b"<a ") == (8 if page == "index" else 38)


def test_download_streams_with_range_head_and_etag(registry, project, admin_auth):
    dist = wheel("sample-project", payload_size=300_000)
    registry.upload(project.pk, dist, admin_auth)
    scope = project_scope(project)

    full = registry.download(scope, dist.sha256, dist.filename)
    part = registry.download(scope, dist.sha256, dist.filename, HTTP_RANGE="bytes=10-19")
    tail = registry.download(scope, dist.sha256, dist.filename, HTTP_RANGE="bytes=-5")
    beyond = registry.download(scope, dist.sha256, dist.filename,
                               HTTP_RANGE=f"bytes={len(dist.data)}-")
    cached = registry.download(scope, dist.sha256, dist.filename,
                               HTTP_IF_NONE_MATCH=f'"{dist.sha256}"')
    head = registry.client.head(f"/api/v4/{scope}/files/{dist.sha256}/{dist.filename}")

    assert full.status_code == 200
    assert b"".join(full.streaming_content) == dist.data
    assert full["Content-Length"] == str(len(dist.data))
    assert full["Content-Disposition"] == f'attachment; filename="{dist.filename}"'
    assert full["ETag"] == f'"{dist.sha256}"'
    assert full["Accept-Ranges"] == "bytes"
    assert (part.status_code, b"".join(part.streaming_content)) == (206, dist.data[10:20])
    assert part["Content-Range"] == f"bytes 10-19/{len(dist.data)}"
    assert b"".join(tail.streaming_content) == dist.data[-5:]
    assert beyond.status_code == 416
    assert cached.status_code == 304
    assert head.status_code == 200 and head["Content-Length"] == str(len(dist.data))
    downloads_fold()  # a download stamps last_downloaded_at through the counts' fold
    assert Package.objects.get().last_downloaded_at is not None


def test_download_needs_the_exact_sha256_and_filename(registry, project, admin_auth):
    dist = wheel("sample-project")
    registry.upload(project.pk, dist, admin_auth)
    scope = project_scope(project)

    assert registry.download(scope, "0" * 64, dist.filename).status_code == 404
    # The name is ours: a wrong filename is never looked for upstream, whatever the mode.
    assert registry.download(scope, dist.sha256, "sample_project-1.0.0.tar.gz").status_code == 404
    assert registry.download(scope, dist.sha256.upper(), dist.filename).status_code == 200
