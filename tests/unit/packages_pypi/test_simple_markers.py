"""PEP 592 yanks and PEP 792 status markers as the page renderers write them."""

import datetime
import json

from packages_pypi.protocol.simple import PageHTMLRenderer, PageJSONRenderer, ProjectPage
from packages_pypi.selectors import FileEntry

FILES_URL = "http://testserver/files"


def entry(*, yanked_reason: str | None = None,
          upload_time: datetime.datetime | None = datetime.datetime(2026, 1, 2, 3, 4, 5, 6)
          ) -> FileEntry:
    return FileEntry(filename="zqx_marker-1.0-py3-none-any.whl", sha256="ab" * 32, size=10,
                     requires_python="", upload_time=upload_time, core_metadata_sha256="",
                     name="zqx-marker", version="1.0", yanked_reason=yanked_reason)


def page(*files: FileEntry, status: str = "active", reason: str = "") -> ProjectPage:
    return ProjectPage(files=list(files), normalized_name="zqx-marker", files_url=FILES_URL,
                       status=status, status_reason=reason)


def html(p: ProjectPage) -> str:
    return PageHTMLRenderer().render(p).decode()


def as_json(p: ProjectPage) -> dict:
    return json.loads(PageJSONRenderer().render(p))


def test_a_yank_with_a_reason_is_data_yanked_and_the_reason_in_json():
    p = page(entry(yanked_reason='broken <build> "1.0"'))

    assert 'data-yanked="broken &lt;build&gt; &quot;1.0&quot;"' in html(p)
    assert as_json(p)["files"][0]["yanked"] == 'broken <build> "1.0"'


def test_a_yank_without_a_reason_is_an_empty_attribute_and_true_in_json():
    p = page(entry(yanked_reason=""))

    assert 'data-yanked=""' in html(p)
    assert as_json(p)["files"][0]["yanked"] is True


def test_a_file_not_yanked_has_no_attribute_and_false_in_json():
    p = page(entry())

    assert "data-yanked" not in html(p)
    assert as_json(p)["files"][0]["yanked"] is False


def test_an_active_name_has_no_status_meta_but_json_says_active():
    p = page(entry())

    assert "pypi:project-status" not in html(p)
    assert as_json(p)["project-status"] == {"status": "active"}


def test_a_status_and_its_reason_are_meta_tags_and_a_json_object():
    p = page(status="quarantined", reason="the project is <haunted>")

    text = html(p)
    assert '<meta name="pypi:project-status" content="quarantined">' in text
    assert ('<meta name="pypi:project-status-reason" '
            'content="the project is &lt;haunted&gt;">') in text
    assert '<meta name="pypi:repository-version" content="1.4">' in text
    assert as_json(p)["project-status"] == {"status": "quarantined",
                                            "reason": "the project is <haunted>"}
    assert as_json(p)["meta"] == {"api-version": "1.4"}


def test_a_file_without_an_upload_time_leaves_the_optional_key_out():
    data = as_json(page(entry(upload_time=None)))["files"][0]

    assert "upload-time" not in data
    assert data["size"] == 10
