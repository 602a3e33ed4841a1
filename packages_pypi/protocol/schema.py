"""The PyPI routes in the OpenAPI document: the upload form, PEP 503/691 pages, downloads.

These endpoints speak the PyPI protocols, not JSON-in JSON-out, so their descriptions are
written out here rather than derived from serializers the views never use.
"""

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_field,
    inline_serializer,
)
from rest_framework import serializers

from packages_pypi.protocol.simple import MIME_HTML, MIME_JSON, MIME_TEXT_HTML

_META = inline_serializer("SimpleMeta", {"api-version": serializers.CharField()})


@extend_schema_field({
    "oneOf": [
        {"type": "boolean", "enum": [False]},
        {"type": "object", "properties": {"sha256": {"type": "string"}},
         "required": ["sha256"]},
    ],
})
class _CoreMetadataField(serializers.JSONField):
    """PEP 714: the metadata file's hashes, or `false` when there is none."""


_FILE = inline_serializer("SimpleFile", {
    "filename": serializers.CharField(),
    "url": serializers.CharField(),
    "hashes": serializers.DictField(child=serializers.CharField()),
    "size": serializers.IntegerField(),
    "upload-time": serializers.CharField(required=False, help_text="absent when unknown"),
    "core-metadata": _CoreMetadataField(),
    "dist-info-metadata": _CoreMetadataField(),
    "yanked": serializers.JSONField(help_text="false, true or the reason (PEP 592)"),
    "requires-python": serializers.CharField(required=False),
})
_INDEX_JSON = inline_serializer("SimpleIndex", {
    "meta": _META,
    "projects": inline_serializer("SimpleIndexProject", {"name": serializers.CharField()},
                                  many=True),
})
_PROJECT_JSON = inline_serializer("SimpleProject", {
    "meta": _META,
    "name": serializers.CharField(),
    "project-status": inline_serializer("SimpleProjectStatus", {
        "status": serializers.CharField(help_text="active, archived, deprecated or quarantined"),
        "reason": serializers.CharField(required=False),
    }, required=False),
    "versions": serializers.ListField(child=serializers.CharField()),
    "files": _FILE.__class__(many=True),
})
_MESSAGE = inline_serializer("ProtocolMessage", {"message": serializers.JSONField()})

# Errors are GitLab's JSON whatever the page's negotiated type (the other refusals are added
# to every operation by registry.http.openapi).
_ERRORS = {
    (401, "application/json"): OpenApiResponse(_MESSAGE, description="Credentials needed"),
    (404, "application/json"): OpenApiResponse(_MESSAGE, description="Missing, or hidden"),
}
_UPSTREAM_FAILED = OpenApiResponse(
    _MESSAGE, description="Proxy mode: the upstream failed and nothing usable is cached")
_NOT_MODIFIED = OpenApiResponse(description="Not Modified: the ETag still matches")
_PAGE_HEADERS = [
    OpenApiParameter("Accept", str, OpenApiParameter.HEADER, description=(
        f"PEP 691: {MIME_JSON}, {MIME_HTML} or {MIME_TEXT_HTML}")),
    OpenApiParameter("If-None-Match", str, OpenApiParameter.HEADER),
]


def _page_responses(json_body: object) -> dict:
    return {
        (200, MIME_TEXT_HTML): OpenApiTypes.STR,
        (200, MIME_HTML): OpenApiTypes.STR,
        (200, MIME_JSON): json_body,
        304: _NOT_MODIFIED,
        **_ERRORS,
    }


upload_schema = extend_schema(
    summary="Upload a distribution (twine's legacy upload API)",
    request={"multipart/form-data": inline_serializer("PypiUpload", {
        ":action": serializers.CharField(help_text="file_upload"),
        "protocol_version": serializers.CharField(required=False),
        "name": serializers.CharField(),
        "version": serializers.CharField(),
        "filetype": serializers.CharField(required=False, help_text="bdist_wheel or sdist"),
        "content": serializers.FileField(),
        "sha256_digest": serializers.CharField(required=False),
        "md5_digest": serializers.CharField(required=False),
        "blake2_256_digest": serializers.CharField(required=False),
        "metadata_version": serializers.CharField(required=False),
        "requires_python": serializers.CharField(required=False),
    })},
    responses={
        (201, "application/json"): _MESSAGE,
        (400, "application/json"): OpenApiResponse(
            _MESSAGE, description="Not a valid distribution, or taken"),
        (411, "application/json"): OpenApiResponse(_MESSAGE, description="No Content-Length"),
        (413, "application/json"): OpenApiResponse(
            _MESSAGE, description="Larger than the file size limit"),
        **_ERRORS,
    },
)
index_schema = extend_schema(
    summary="The simple index: every package name (PEP 503 / 691)",
    parameters=_PAGE_HEADERS, responses=_page_responses(_INDEX_JSON),
)
detail_schema = extend_schema(
    summary="One name's files (PEP 503 / 691); a miss may be forwarded upstream (302)",
    parameters=_PAGE_HEADERS,
    responses={**_page_responses(_PROJECT_JSON),
               302: OpenApiResponse(description="Forwarded to the upstream index"),
               (502, "application/json"): _UPSTREAM_FAILED},
)
file_schema = extend_schema(
    summary="Download a file, or its core metadata (`<filename>.metadata`, PEP 658)",
    parameters=[OpenApiParameter("Range", str, OpenApiParameter.HEADER),
                OpenApiParameter("If-None-Match", str, OpenApiParameter.HEADER)],
    responses={
        (200, "application/octet-stream"): OpenApiTypes.BINARY,
        (200, "text/plain"): OpenApiTypes.STR,
        (206, "application/octet-stream"): OpenApiTypes.BINARY,
        302: OpenApiResponse(description="To the object store (presigned URL)"),
        304: _NOT_MODIFIED,
        416: OpenApiResponse(description="Range Not Satisfiable"),
        (502, "application/json"): _UPSTREAM_FAILED,
        **_ERRORS,
    },
)
upstream_explanation_schema = extend_schema(
    summary="Why each upstream file of a name is served through this group, or left out",
    responses={(200, "application/json"): inline_serializer("UpstreamExplanation", {
        "name": serializers.CharField(),
        "mode": serializers.CharField(help_text="redirect or proxy"),
        "forwarding": serializers.BooleanField(),
        "offline": serializers.BooleanField(),
        "proxied": serializers.BooleanField(),
        "reason": serializers.CharField(required=False),
        "status": serializers.CharField(required=False),
        "status_reason": serializers.CharField(required=False),
        "files": serializers.ListField(child=serializers.DictField()),
    }), **_ERRORS},
)
