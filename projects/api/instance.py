"""GET /version and /metadata: what this instance is (python-gitlab's `gl.version()`)."""

import importlib.metadata

from django.conf import settings
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from projects.api.support import signed_in_principal

DISTRIBUTION = "pypi-registry"


class KasOutput(serializers.Serializer):
    """The agent server for Kubernetes: never part of this registry, so always off."""

    enabled = serializers.BooleanField()
    externalUrl = serializers.CharField(allow_null=True)  # GitLab's camelCase keys
    externalK8sProxyUrl = serializers.CharField(allow_null=True)
    version = serializers.CharField(allow_null=True)


class MetadataOutput(serializers.Serializer):
    """GitLab's Metadata entity (lib/api/entities/metadata.rb)."""

    version = serializers.CharField()
    revision = serializers.CharField()
    kas = KasOutput()
    enterprise = serializers.BooleanField()


def _metadata() -> dict[str, object]:
    # Deliberate difference: the version is this registry's own, not a GitLab release, so a
    # tool never takes it for a GitLab with features we do not have.
    return {
        "version": importlib.metadata.version(DISTRIBUTION),
        "revision": settings.REGISTRY_REVISION,
        "kas": {"enabled": False, "externalUrl": None, "externalK8sProxyUrl": None,
                "version": None},
        "enterprise": False,
    }


class MetadataApi(APIView):
    """GET /metadata (and GET /version, which GitLab answers with the same entity).

    Signed-in users only, as in GitLab: anonymous callers, deploy tokens and job tokens get 401.
    """

    @extend_schema(responses={200: MetadataOutput}, summary="Instance version and metadata")
    def get(self, request: Request) -> Response:
        signed_in_principal(request)
        return Response(MetadataOutput(_metadata()).data)
