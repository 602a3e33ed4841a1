"""Render domain errors as GitLab does: JSON bodies with the status each error carries."""

from django.http import Http404
from rest_framework import exceptions as drf_exceptions
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from registry.http.exceptions import RegistryError

# lib/api/api.rb sets these on every API answer.
API_HEADERS = {"X-Frame-Options": "SAMEORIGIN", "X-Content-Type-Options": "nosniff"}


def exception_handler(exc: Exception, context: dict) -> Response | None:
    """DRF's handler, taught our RegistryError and GitLab's body shapes."""
    if isinstance(exc, RegistryError):
        return Response(exc.body, status=exc.status_code, headers=exc.headers)
    if isinstance(exc, Http404):
        return Response({"message": "404 Not Found"}, status=404)
    response = drf_exception_handler(exc, context)
    if response is not None and isinstance(exc, drf_exceptions.APIException):
        detail = response.data.get("detail") if isinstance(response.data, dict) else None
        if detail is not None:
            response.data = {"message": f"{response.status_code} {detail}"}
        elif isinstance(exc, drf_exceptions.ValidationError):
            response.data = _validation_body(exc)
    return response


def _validation_body(exc: drf_exceptions.ValidationError) -> dict[str, object]:
    """Grape's `{"error": "name is missing"}` for a missing field, else the field errors."""
    codes = exc.get_codes()
    if isinstance(codes, dict):
        for field, field_codes in codes.items():
            if isinstance(field_codes, list) and "required" in field_codes:
                return {"error": f"{field} is missing"}
            if isinstance(field_codes, list) and "invalid_choice" in field_codes:
                return {"error": f"{field} does not have a valid value"}
    return {"message": exc.detail}
