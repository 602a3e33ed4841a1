"""GET /namespaces and /namespaces/:id: the groups a project can be created in, by id or path.

Every namespace here is a group (`kind` "group"): there are no personal namespaces, so
GitLab's `kind: "user"` entries never appear (gitlab-api-v4.md §5.5).
"""

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from projects import selectors
from projects.access import Ability, access_group
from projects.api.serializers import NamespaceOutput
from projects.api.support import signed_in_principal
from registry.http.api import many, paginated, query_bool
from registry.http.exceptions import NotFound

_BOOL = OpenApiTypes.BOOL


class NamespaceListApi(APIView):
    """GET /namespaces (`search`, `owned_only`, `top_level_only`, `full_path_search`)."""

    @extend_schema(
        parameters=[
            OpenApiParameter("search", str, description="In the name or path"),
            OpenApiParameter("full_path_search", _BOOL, description="Search the full path"),
            OpenApiParameter("owned_only", _BOOL, description="Only groups the caller owns"),
            OpenApiParameter("top_level_only", _BOOL, description="Only top-level groups"),
            OpenApiParameter("page", int), OpenApiParameter("per_page", int),
        ],
        responses={200: NamespaceOutput(many=True)},
    )
    def get(self, request: Request) -> Response:
        principal = signed_in_principal(request)
        namespaces = selectors.namespaces_list(
            principal=principal,
            search=request.query_params.get("search"),
            full_path_search=bool(query_bool(request, "full_path_search", False)),
            owned_only=bool(query_bool(request, "owned_only", False)),
            top_level_only=bool(query_bool(request, "top_level_only", False)),
        )
        return paginated(request, namespaces, many(NamespaceOutput, {"request": request}))


class NamespaceDetailApi(APIView):
    """GET /namespaces/:id, by id or (URL-encoded) full path; 404 for what the caller can't read."""

    @extend_schema(responses={200: NamespaceOutput})
    def get(self, request: Request, ref: str) -> Response:
        principal = signed_in_principal(request)
        try:
            group = access_group(principal, ref, Ability.READ_GROUP)
        except NotFound as missing:
            raise NotFound("Namespace") from missing
        return Response(NamespaceOutput(group, context={"request": request}).data)
