"""Descriptions render like PyPI's, and nothing unsafe gets through."""

import re

import pytest

from packages_pypi.web.readme import description_html


@pytest.mark.parametrize(("text", "content_type", "expected"), [
    ("# Title\n\n**bold**", "text/markdown", "<strong>bold</strong>"),
    ("# Title", "text/markdown; charset=UTF-8; variant=CommonMark", "Title</h1>"),
    ("Title\n=====\n\n*em*", "text/x-rst", "<em>em</em>"),
    ("Title\n=====\n\n*em*", "", "<em>em</em>"),
    ("a <b>c</b>", "text/plain", "a &lt;b&gt;c&lt;/b&gt;"),
])
def test_markdown_rst_and_plain_text_render(text, content_type, expected):
    assert expected in description_html(text, content_type)


@pytest.mark.parametrize("content_type", ["text/markdown", "text/x-rst", "text/plain", ""])
def test_scripts_and_event_handlers_are_removed(content_type):
    text = '<script>alert(1)</script>\n\n<img src=x onerror="alert(2)">\n\n[x](javascript:alert(3))'
    html = description_html(text, content_type)
    assert "<script" not in html
    assert not re.search(r"<[^>]*\son\w+=", html)  # no event handler on any tag
    assert 'href="javascript' not in html


def test_broken_rst_falls_back_to_plain_text():
    assert "Title" in description_html("Title\n===\n\n.. unknown-directive::", "text/x-rst")


def test_an_empty_description_renders_nothing():
    assert description_html("  ", "text/markdown") == ""
