"""Response middleware of our own: cookies served over https are marked Secure."""

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
