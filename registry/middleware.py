"""Response middleware of our own: Secure cookies over https, honest 304 headers, and the
Content-Security-Policy left out where it is not sent."""

from collections.abc import Callable

from csp.middleware import CSPMiddleware
from django.conf import settings
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


class ContentSecurityPolicyMiddleware(CSPMiddleware):
    """django-csp's middleware, not run at all under its `EXCLUDE_URL_PREFIXES` (/api/).

    django-csp 4 builds both policies for every response and only then looks at the
    prefixes: that was about a tenth of a cached index page's time in-process (issue 14).
    """

    def process_request(self, request: HttpRequest) -> None:
        if not _csp_excluded(request):
            super().process_request(request)

    def process_response(
        self, request: HttpRequest, response: HttpResponseBase
    ) -> HttpResponseBase:
        if _csp_excluded(request):
            return response
        return super().process_response(request, response)


def _csp_excluded(request: HttpRequest) -> bool:
    """Excluded from the policy and from the report-only policy (when there is one) alike."""
    for name in ("CONTENT_SECURITY_POLICY", "CONTENT_SECURITY_POLICY_REPORT_ONLY"):
        policy = getattr(settings, name, None)
        if policy is None:
            continue
        prefixes = tuple(policy.get("EXCLUDE_URL_PREFIXES") or ())
        if not prefixes or not request.path_info.startswith(prefixes):
            return False
    return True
