"""A package description as safe HTML, the way PyPI renders it (readme_renderer)."""

from django.utils.safestring import SafeString, mark_safe


def description_html(description: str, content_type: str) -> SafeString:
    """Render Markdown, reStructuredText or plain text; readme_renderer sanitises with nh3.

    As on PyPI, no content type means reStructuredText, and text that does not parse as
    reStructuredText is shown as plain text.
    """
    if not description.strip():
        return SafeString("")
    # Imported here: 22 MiB (docutils, pygments) that only package pages need (issue 14).
    from readme_renderer import markdown, rst, txt

    mime, _, params = content_type.partition(";")
    mime = mime.strip().lower() or "text/x-rst"
    if mime == "text/markdown":
        commonmark = "variant=commonmark" in params.lower().replace(" ", "")
        html = markdown.render(description, variant="CommonMark" if commonmark else "GFM")
    elif mime == "text/x-rst":
        html = rst.render(description)
    else:
        html = txt.render(description)
    if html is None:
        html = txt.render(description)
    return mark_safe(html)  # noqa: S308 - readme_renderer's output is already cleaned
