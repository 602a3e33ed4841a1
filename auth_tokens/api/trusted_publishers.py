"""Trusted publishers of a project (issue 13): GET and POST
/projects/:id/packages/pypi/trusted_publishers, DELETE .../:publisher_id. Maintainers only."""

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from auth_tokens import selectors, services
from auth_tokens.models import TrustedPublisher
from projects.access import Ability, access_project
from projects.api.support import user_principal
from projects.models import Project
from registry.http.api import many, paginated, validated
from registry.http.exceptions import NotFound


class TrustedPublisherOutput(serializers.Serializer):
    id = serializers.IntegerField()
    provider = serializers.CharField()
    issuer = serializers.CharField()
    claims = serializers.DictField(child=serializers.CharField())


def _project(request: Request, ref: str) -> Project:
    return access_project(user_principal(request), ref, Ability.ADMIN_PROJECT)


class TrustedPublisherListCreateApi(APIView):
    class InputSerializer(serializers.Serializer):
        provider = serializers.ChoiceField(choices=TrustedPublisher.Provider.values)
        issuer = serializers.CharField(required=False, allow_blank=True, default="")
        claims = serializers.DictField(required=False, default=dict)

    @extend_schema(responses={200: TrustedPublisherOutput(many=True)})
    def get(self, request: Request, ref: str) -> Response:
        publishers = selectors.trusted_publishers_of(_project(request, ref))
        return paginated(request, publishers, many(TrustedPublisherOutput))

    @extend_schema(request=InputSerializer, responses={201: TrustedPublisherOutput})
    def post(self, request: Request, ref: str) -> Response:
        principal = user_principal(request)
        project = access_project(principal, ref, Ability.ADMIN_PROJECT)
        data = validated(self.InputSerializer, request)
        publisher = services.trusted_publisher_create(
            project=project, provider=data["provider"], issuer=data["issuer"] or None,
            claims=data["claims"], creator=principal.user,
        )
        return Response(TrustedPublisherOutput(publisher).data, status=201)


class TrustedPublisherDetailApi(APIView):
    @extend_schema(responses={204: None})
    def delete(self, request: Request, ref: str, publisher_id: str) -> Response:
        publisher = selectors.trusted_publishers_of(_project(request, ref)).filter(
            pk=int(publisher_id)
        ).first()
        if publisher is None:
            raise NotFound("Trusted Publisher")
        services.trusted_publisher_delete(publisher=publisher, actor=user_principal(request))
        return Response(status=204)
