"""Response middleware of our own: Secure cookies over https, and honest 304 headers."""

from collections.abc import Callable

from django.http import HttpRequest, HttpResponseBase


class SecureCookiesOnHttpsMiddleware:
    """Mark every cookie `Secure` when the request came over https.

    `request.is_secure()` is true for TLS to gunicorn itself and, with
    DJANGO_SECURE_PROXY_SSL_HEADER, behind a proxy that ends TLS; the same site served over
    plain http on 127.0.0.1 (development, the test suite) keeps cookies a browser will send
    back there. Sits above the session and CSRF middleware, so it sees the cookies they set.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        response = self.get_response(request)
        if request.is_secure():
            for morsel in response.cookies.values():
                morsel["secure"] = True
        return response


class NotModifiedMiddleware:
    """A 304 describes the 200 the client holds: it carries no Content-Length of its own.

    Django's CommonMiddleware, just below, gives every response without one
    `Content-Length: <len(body)>`, so every 304 said `0`; RFC 9110 §8.6 allows the header on a
    304 only with the 200's length, and poetry copies a 304's headers onto its cached body.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        response = self.get_response(request)
        if response.status_code == 304 and response.get("Content-Length") == "0":
            del response["Content-Length"]
        return response
