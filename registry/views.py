"""Instance-level pages: the landing page and the health check."""

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.views.decorators.http import require_safe


@require_safe
def health(request: HttpRequest) -> HttpResponse:
    """Liveness: the process answers (readiness checks the database and storage)."""
    return JsonResponse({"status": "ok"})


@require_safe
def home(request: HttpRequest) -> HttpResponse:
    return render(request, "home.html")
