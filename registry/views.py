"""Instance-level endpoints: the health check (the pages live in the apps' views)."""

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.http import require_safe


@require_safe
def health(request: HttpRequest) -> HttpResponse:
    """Liveness: the process answers (readiness checks the database and storage)."""
    return JsonResponse({"status": "ok"})

