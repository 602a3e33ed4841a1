"""The caller's address for the events a request records, without handing the request to
every service: a middleware sets it for the length of the request."""

from collections.abc import Callable
from contextvars import ContextVar

from django.http import HttpRequest, HttpResponse

from registry.throttle import client_ip

_caller_ip: ContextVar[str | None] = ContextVar("audit_caller_ip", default=None)


def caller_ip() -> str | None:
    """The address of the request being served, or None outside one (a command)."""
    return _caller_ip.get()


class AuditRequestMiddleware:
    """Remember the caller's address (REGISTRY_TRUSTED_PROXY_COUNT honoured) for audit events."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        token = _caller_ip.set(client_ip(request))
        try:
            return self.get_response(request)
        finally:
            _caller_ip.reset(token)
