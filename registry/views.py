"""Instance-level endpoints: liveness and readiness (the pages live in the apps' views)."""

from django.http import HttpRequest, HttpResponse, JsonResponse
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
