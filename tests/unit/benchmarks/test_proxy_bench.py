"""The proxy bench finds the cached wheel's URL on each server's page, however it links it."""

import pytest

from benchmarks.proxy import file_url

WHEEL = "upstream_file-1.0.0-py3-none-any.whl"


@pytest.mark.parametrize(
    ("page", "href", "expected"),
    [
        # ours: absolute, with the hash fragment
        ("http://h/api/v4/projects/1/packages/pypi/simple/upstream-file/",
         f"http://h/api/v4/projects/1/packages/pypi/files/abc/{WHEEL}#sha256=abc",
         f"http://h/api/v4/projects/1/packages/pypi/files/abc/{WHEEL}"),
        # devpi: relative to the page, up and into +f/
        ("http://h/root/pypi/+simple/upstream-file/",
         f"../../+f/6af/9a3ede771ee2ceb/{WHEEL}#sha256=6af",
         f"http://h/root/pypi/+f/6af/9a3ede771ee2ceb/{WHEEL}"),
        # proxpi: the bare file name
        ("http://h/index/upstream-file/", f"{WHEEL}#sha256=6af",
         f"http://h/index/upstream-file/{WHEEL}"),
    ],
)
def test_the_wheel_link_is_made_absolute_without_its_fragment(page, href, expected):
    html = f'<a href="{page}x.tar.gz">x</a><a href="{href}" data-requires-python="">w</a>'

    assert file_url(page, html, WHEEL) == expected


def test_a_page_without_the_wheel_says_so():
    with pytest.raises(LookupError, match=WHEEL):
        file_url("http://h/index/x/", '<a href="other.whl">other</a>', WHEEL)
