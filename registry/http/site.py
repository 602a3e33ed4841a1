"""The registry's own address as the client sees it, for links and copy-ready commands."""

from django.http import HttpRequest


def base_url(request: HttpRequest) -> str:
    """The registry's address as the browser sees it, for copy-ready commands."""
    return request.build_absolute_uri("/").rstrip("/")
