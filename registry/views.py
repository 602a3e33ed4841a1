"""Instance-level endpoints (liveness, readiness) and the 500 handler; pages live in the apps."""

import sys

from django.db import InterfaceError, OperationalError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views import defaults
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

from registry.health import readiness_checks


@require_safe
def health(request: HttpRequest) -> HttpResponse:
    """Liveness: the process answers (readiness checks the database and storage)."""
    return JsonResponse({"status": "ok"})


@never_cache
@require_safe
def readiness(request: HttpRequest) -> HttpResponse:
    """Readiness: 200 when the database and the file storage answer, else 503."""
    checks = readiness_checks()
    ready = all(state == "ok" for state in checks.values())
    return JsonResponse(
        {"status": "ok" if ready else "unavailable", "checks": checks},
        status=200 if ready else 503,
    )


# Long enough for a database restart or failover, short enough that pip and twine retry soon.
DATABASE_RETRY_AFTER = "10"


def server_error(request: HttpRequest) -> HttpResponse:
    """handler500: a database that cannot be reached is a 503 with Retry-After on every
    surface (API, PyPI protocol, pages, admin); anything else stays Django's 500.

    Django calls this with the exception being handled; no template, no session, no user:
    rendering must not need the database that just failed.
    """
    if not _database_unavailable(sys.exception()):
        return defaults.server_error(request)
    if request.path.startswith("/api/"):
        response: HttpResponse = JsonResponse({"message": "503 Service Unavailable"}, status=503)
    else:
        response = HttpResponse(
            "<!doctype html><title>503 Service Unavailable</title>"
            "<h1>503 Service Unavailable</h1><p>The registry cannot reach its database. "
            "Try again in a few seconds.</p>",
            status=503, content_type="text/html; charset=utf-8",
        )
    response["Retry-After"] = DATABASE_RETRY_AFTER
    return response


def _database_unavailable(error: BaseException | None) -> bool:
    # OperationalError: refused, dropped, timed out, locked; InterfaceError: the connection
    # is closed. Not DataError or IntegrityError, which are our bugs and stay 500s.
    for _ in range(5):  # the error itself, or what it was raised from
        if error is None:
            return False
        if isinstance(error, OperationalError | InterfaceError):
            return True
        error = error.__cause__ or error.__context__
    return False


def not_found(request: HttpRequest, exception: Exception) -> HttpResponse:
    """handler404: under /api/ a route that does not exist answers GitLab's JSON
    (`{"error": "404 Not Found"}`), which python-gitlab reads; pages keep the 404 page."""
    if request.path.startswith("/api/"):
        return JsonResponse({"error": "404 Not Found"}, status=404)
    return defaults.page_not_found(request, exception)
