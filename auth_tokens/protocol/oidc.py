"""pypi.org's trusted publishing endpoints, at its paths and in its shapes, so that uv, twine
and pypa/gh-action-pypi-publish work unchanged (spec trust-and-lifecycle.md §6-7):
`GET /_/oidc/audience` and `POST /_/oidc/mint-token`. Clients call them at the root of the
upload URL's host, over https.
"""

import json

from django.http import HttpRequest
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from auth_tokens.oidc import issuers
from auth_tokens.oidc.errors import MintRefused, invalid_payload

# An ID token is 1-2 KiB; the body is refused well before it could cost memory.
MAX_BODY_BYTES = 64 * 1024
NO_STORE = {"Cache-Control": "no-store"}


class BodyTooLarge(MintRefused):
    status_code = 413


class OidcAudienceApi(APIView):
    """GET /_/oidc/audience: `{"audience": ...}`, the `aud` our ID tokens must carry."""

    authentication_classes = ()
    permission_classes = ()
    schema = None  # pypi.org's protocol, not part of the REST API's OpenAPI document

    def get(self, request: Request) -> Response:
        return Response({"audience": issuers.audience(request.get_host())})


class OidcMintTokenApi(APIView):
    """POST /_/oidc/mint-token `{"token": "<ID token>"}`: a publishing token, or 422 saying
    which check failed. No credential is looked at: the ID token is the credential."""

    authentication_classes = ()
    permission_classes = ()
    schema = None
    parser_classes = ()  # any content type: the docs' curl sends none, pypi.org parses anyway

    def post(self, request: Request) -> Response:
        # Imported here: PyJWT and cryptography are 10 MiB a worker, used by this view only.
        from auth_tokens.oidc.exchange import publishing_token_mint

        id_token = _id_token(request._request)
        token, secret = publishing_token_mint(
            id_token=id_token, audience=issuers.audience(request.get_host())
        )
        body = {"success": True, "token": secret, "expires": int(token.expires_at.timestamp())}
        return Response(body, headers=NO_STORE)


def _id_token(request: HttpRequest) -> str:
    length = request.META.get("CONTENT_LENGTH") or ""
    if length.isdigit() and int(length) > MAX_BODY_BYTES:
        raise BodyTooLarge("invalid-payload", f"the body is larger than {MAX_BODY_BYTES} bytes")
    body = request.read(MAX_BODY_BYTES + 1)
    if len(body) > MAX_BODY_BYTES:
        raise BodyTooLarge("invalid-payload", f"the body is larger than {MAX_BODY_BYTES} bytes")
    try:
        payload = json.loads(body)
    except (ValueError, RecursionError) as error:  # RecursionError: `[[[[…` nested too deep
        raise invalid_payload('the body must be JSON: {"token": "<ID token>"}') from error
    token = payload.get("token") if isinstance(payload, dict) else None
    if not isinstance(token, str) or not token:
        raise invalid_payload("token: the body's `token` must be a string (the ID token)")
    return token
