"""What every /api/v4 view shares: the caller, GitLab's pagination, timestamps and booleans."""

import datetime
import math
from collections.abc import Callable, Sequence
from typing import Any, cast
from urllib.parse import urlencode

from django.db.models import QuerySet
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.utils.serializer_helpers import ReturnList

from registry.http.exceptions import BadRequest

DEFAULT_PER_PAGE = 20
MAX_PER_PAGE = 100
_TRUE = frozenset({"true", "1", "yes", "on"})
_FALSE = frozenset({"false", "0", "no", "off", ""})

# What a list endpoint pages through: a query, or rows already in memory.
Rows = QuerySet[Any] | Sequence[Any]


class GitLabDateTimeField(serializers.DateTimeField):
    """ISO 8601 in UTC with milliseconds and `Z`, as GitLab writes timestamps."""

    # DRF's DateTimeField gives None for an empty value too; drf-stubs say it always gives str.
    def to_representation(self, value: datetime.datetime | None) -> str | None:  # type: ignore[override]
        if value is None:
            return None
        value = value.astimezone(datetime.UTC)
        return value.strftime("%Y-%m-%dT%H:%M:%S.") + f"{value.microsecond // 1000:03d}Z"


def query_bool(request: Request, name: str, default: bool | None = None) -> bool | None:
    """A query-string boolean; python-gitlab sends `str(bool)`, so `True`/`False` count too."""
    raw = request.query_params.get(name)
    if raw is None:
        return default
    if raw.lower() in _TRUE:
        return True
    if raw.lower() in _FALSE:
        return False
    raise BadRequest(f"{name} is invalid")


def query_choice(request: Request, name: str, choices: Sequence[str], default: str) -> str:
    """A query parameter that must be one of `choices`; GitLab's 400 body otherwise."""
    value = request.query_params.get(name, default)
    if value not in choices:
        raise ParameterError(f"{name} does not have a valid value")
    return value


class ParameterError(BadRequest):
    """400 in Grape's shape for parameter validation: `{"error": "<param> ..."}`."""

    def __init__(self, error: str) -> None:
        super().__init__(error)
        self.error = error

    @property
    def body(self) -> dict[str, object]:
        return {"error": self.error}


def accepted() -> Response:
    """GitLab's answer to a scheduled (here: immediate) project or group deletion."""
    return Response({"message": "202 Accepted"}, status=202)


def _page_params(request: Request) -> tuple[int, int]:
    try:
        page = max(int(request.query_params.get("page", 1)), 1)
        per_page = int(request.query_params.get("per_page", DEFAULT_PER_PAGE))
    except ValueError as error:
        raise ParameterError("page is invalid") from error
    return page, min(max(per_page, 1), MAX_PER_PAGE)


def _page_link(request: Request, page: int, per_page: int) -> str:
    params = request.query_params.copy()
    params["page"] = str(page)
    params["per_page"] = str(per_page)
    # Absolute and from the request's own host: python-gitlab warns about any other base.
    return f"{request.build_absolute_uri(request.path)}?{urlencode(params, doseq=True)}"


def paginated(
    request: Request,
    queryset: Rows,
    serialize: Callable[[Rows], list[Any]],
) -> Response:
    """One page of `queryset` with GitLab's X-* headers and `Link` (spec §2.4): two queries."""
    page, per_page = _page_params(request)
    total = queryset.count() if isinstance(queryset, QuerySet) else len(queryset)
    total_pages = max(math.ceil(total / per_page), 1)
    rows = queryset[(page - 1) * per_page : page * per_page]
    response = Response(serialize(rows))
    next_page = page + 1 if page < total_pages else None
    prev_page = page - 1 if page > 1 else None
    headers = {
        "X-Page": str(page),
        "X-Per-Page": str(per_page),
        "X-Total": str(total),
        "X-Total-Pages": str(total_pages),
        "X-Next-Page": str(next_page or ""),
        "X-Prev-Page": str(prev_page or ""),
    }
    for name, value in headers.items():
        response[name] = value
    links = [(prev_page, "prev"), (next_page, "next"), (1, "first"), (total_pages, "last")]
    response["Link"] = ", ".join(
        f'<{_page_link(request, number, per_page)}>; rel="{rel}"'
        for number, rel in links
        if number is not None
    )
    return response


def validated(
    serializer_class: type[serializers.Serializer[Any]], request: Request, **kw: Any
) -> dict[str, Any]:
    """Run an InputSerializer over the request body and return its data (or raise 400)."""
    serializer = serializer_class(data=request.data, **kw)
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data


def many(
    serializer_class: type[serializers.Serializer[Any]], context: dict[str, Any] | None = None
) -> Callable[[Rows], list[Any]]:
    """A `serialize` for `paginated`: the page's rows through `serializer_class`."""
    # many=True makes DRF build a ListSerializer, whose data is a list; drf-stubs cannot see
    # that and type it as one object's dict.
    return lambda rows: cast(
        ReturnList, serializer_class(rows, many=True, context=context or {}).data
    )
