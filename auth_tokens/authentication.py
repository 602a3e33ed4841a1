"""Authentication: one DRF class per token kind, and `authenticate_request` for plain views.

Web pages use `session_principal` alone: a token never reaches a page, so a CI job token or a
deploy token cannot drive the UI (issue 9, finding 1). Wherever a session does count (the PyPI
protocol views, the REST API), a write must carry the session's CSRF token, as DRF's
SessionAuthentication demands; token-authenticated requests need none (finding 6).

GitLab's order and edge cases (spec gitlab-pypi.md §2.1): deploy tokens, then personal access
tokens, then CI job tokens (Basic username `gitlab-ci-token`). In HTTP Basic the username is
ignored for PATs and deploy tokens, and a random wrong password is simply anonymous; a known
but expired or revoked PAT, or a bad job token, is a hard 401.
"""

import base64
import binascii
import copy
from typing import NoReturn

from django.http import HttpRequest, HttpResponse, QueryDict
from django.middleware.csrf import CsrfViewMiddleware
from django.utils.datastructures import MultiValueDict
from rest_framework.authentication import BaseAuthentication

from auth_tokens import services, tokens
from auth_tokens.models import PersonalAccessToken
from projects.principals import Principal, refuse_blocked, session_principal
from registry.http.exceptions import Forbidden, RegistryError
from registry.throttle import token_refused

CI_JOB_USERNAME = "gitlab-ci-token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


class InvalidToken(RegistryError):
    """401 for a credential that was presented and refused."""

    status_code = 401

    def __init__(self, description: str | None = None) -> None:
        self.description = description
        super().__init__("401 Unauthorized", headers={"WWW-Authenticate": _bearer_challenge()})

    @property
    def body(self) -> dict[str, object]:
        if self.description:
            return {"error": "invalid_token", "error_description": self.description}
        return {"message": self.message}


class InsufficientScope(RegistryError):
    """403 for a token whose scopes do not cover the request (e.g. read_api on a POST)."""

    status_code = 403

    @property
    def body(self) -> dict[str, object]:
        return {
            "error": "insufficient_scope",
            "error_description": "The request requires higher privileges than provided by the "
            "access token.",
            "scope": "api",
        }


def _bearer_challenge() -> str:
    return 'Bearer realm="GitLab", error="invalid_token"'


def basic_credentials(request: HttpRequest) -> tuple[str, str] | None:
    """(username, password) from an `Authorization: Basic` header, or None."""
    scheme, _, value = request.META.get("HTTP_AUTHORIZATION", "").partition(" ")
    if scheme.lower() != "basic":
        return None
    try:
        decoded = base64.b64decode(value.strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        return None
    username, sep, password = decoded.partition(":")
    return (username, password) if sep else None


def bearer_token(request: HttpRequest) -> str | None:
    scheme, _, value = request.META.get("HTTP_AUTHORIZATION", "").partition(" ")
    return value.strip() or None if scheme.lower() == "bearer" else None


def _header(request: HttpRequest, name: str) -> str | None:
    return request.META.get(f"HTTP_{name.upper().replace('-', '_')}") or None


class DeployTokenAuthentication(BaseAuthentication):
    """`DEPLOY-TOKEN` header, Bearer, or a Basic password that is a deploy token."""

    def authenticate(self, request: HttpRequest) -> tuple[None, Principal] | None:
        named = _header(request, "DEPLOY-TOKEN") or _bearer_of_kind(
            request, tokens.DEPLOY_TOKEN_PREFIX
        )
        if named is not None:
            return self._authenticate(named) or _refuse(request, named)
        basic = basic_credentials(request)
        if basic and basic[1].startswith(tokens.DEPLOY_TOKEN_PREFIX):
            # An unknown, revoked or expired deploy token in Basic auth is anonymous.
            result = self._authenticate(basic[1])
            if result is None:
                token_refused(request, secret=basic[1])
            return result
        return None

    def _authenticate(self, secret: str) -> tuple[None, Principal] | None:
        token = services.deploy_token_find(secret)
        if token is None:
            return None
        services.token_touch(token)
        return None, Principal.for_deploy_token(token)

    def authenticate_header(self, request: HttpRequest) -> str:
        return _bearer_challenge()


def _bearer_of_kind(request: HttpRequest, prefix: str) -> str | None:
    bearer = bearer_token(request)
    return bearer if bearer is not None and bearer.startswith(prefix) else None


def _refuse(request: HttpRequest, secret: str) -> NoReturn:
    """Count the refusal (429 once the caller is locked), else GitLab's 401."""
    token_refused(request, secret=secret)
    raise InvalidToken()


class PersonalAccessTokenAuthentication(BaseAuthentication):
    """`PRIVATE-TOKEN` header, Bearer, or a Basic password that is a personal access token."""

    def authenticate(self, request: HttpRequest) -> tuple[object, Principal] | None:
        bearer = bearer_token(request)
        if bearer is not None and bearer.startswith(
            (tokens.DEPLOY_TOKEN_PREFIX, tokens.JOB_TOKEN_PREFIX, tokens.PUBLISHING_TOKEN_PREFIX)
        ):
            bearer = None  # another class answers for it
        named = _header(request, "PRIVATE-TOKEN") or bearer
        basic = basic_credentials(request)
        if named is not None:
            secret = named
            token = services.personal_access_token_find(secret)
            if token is None:
                _refuse(request, secret)
        elif basic and basic[1].startswith(tokens.PERSONAL_ACCESS_TOKEN_PREFIX):
            secret = basic[1]
            token = services.personal_access_token_find(secret)
            if token is None:
                token_refused(request, secret=secret)
                return None  # a random wrong password is anonymous (spec §2.1)
        else:
            return None
        if token.revoked or token.is_expired:
            token_refused(request, secret=secret, user_id=token.user_id)
        _check_token(token, request.method)
        services.token_touch(token)
        principal = refuse_blocked(Principal.for_user(token.user, personal_access_token=token))
        return token.user, principal

    def authenticate_header(self, request: HttpRequest) -> str:
        return _bearer_challenge()


def _check_token(token: PersonalAccessToken, method: str | None) -> None:
    if token.revoked:
        raise InvalidToken("Token was revoked. You have to re-authorize from the user.")
    if token.is_expired:
        raise InvalidToken("Token is expired. You can either do re-authorization or token refresh.")
    _check_scopes(token.scopes, method)


def _check_scopes(scopes: list[str], method: str | None) -> None:
    # GitLab: `api` for everything, `read_api` only for GET and HEAD (lib/api/api.rb).
    if "api" in scopes or ("read_api" in scopes and method in SAFE_METHODS):
        return
    raise InsufficientScope()


class JobTokenAuthentication(BaseAuthentication):
    """`JOB-TOKEN` header, Bearer job token, or Basic `gitlab-ci-token:<job token>`."""

    def authenticate(self, request: HttpRequest) -> tuple[object, Principal] | None:
        secret = _header(request, "JOB-TOKEN")
        bearer = bearer_token(request)
        if secret is None and bearer and bearer.startswith(tokens.JOB_TOKEN_PREFIX):
            secret = bearer
        basic = basic_credentials(request)
        if secret is None and basic and basic[0] == CI_JOB_USERNAME and basic[1]:
            secret = basic[1]
        if secret is None:
            return None
        job = services.ci_job_find(secret)
        if job is None:
            _refuse(request, secret)
        return job.user, refuse_blocked(Principal.for_job(job))

    def authenticate_header(self, request: HttpRequest) -> str:
        return _bearer_challenge()


class PublishingTokenAuthentication(BaseAuthentication):
    """A trusted publisher's minted token: the Basic password with any username (uv and
    twine send `__token__`), or Bearer. Expired, or its publisher deleted: a hard 401, so the
    job says why instead of uploading anonymously."""

    def authenticate(self, request: HttpRequest) -> tuple[None, Principal] | None:
        secret = _bearer_of_kind(request, tokens.PUBLISHING_TOKEN_PREFIX)
        basic = basic_credentials(request)
        if secret is None and basic and basic[1].startswith(tokens.PUBLISHING_TOKEN_PREFIX):
            secret = basic[1]
        if secret is None:
            return None
        token = services.publishing_token_find(secret)
        if token is None:
            token_refused(request, secret=secret)
            raise InvalidToken("Token is expired or unknown: mint a new one.")
        services.token_touch(token)
        return None, Principal.for_publishing_token(token)

    def authenticate_header(self, request: HttpRequest) -> str:
        return _bearer_challenge()


AUTHENTICATION_CLASSES = (
    DeployTokenAuthentication,
    PersonalAccessTokenAuthentication,
    JobTokenAuthentication,
    PublishingTokenAuthentication,
)


def authenticate_request(request: HttpRequest) -> Principal:
    """The caller of a plain Django view: a token, else the signed-in session user, else nobody.

    Raises InvalidToken (401), InsufficientScope or Forbidden (403) as GitLab does, and
    Forbidden for a session write without the CSRF token.
    """
    for authentication_class in AUTHENTICATION_CLASSES:
        result = authentication_class().authenticate(request)
        if result is not None:
            return result[1]
    principal = session_principal(request)
    if not principal.is_anonymous and request.method not in SAFE_METHODS:
        enforce_csrf(request)
    return principal


class _CsrfCheck(CsrfViewMiddleware):
    def _reject(self, request: HttpRequest, reason: str) -> str:
        return reason  # the reason, not Django's HTML failure page


def enforce_csrf(request: HttpRequest) -> None:
    """Raise Forbidden unless the request passes Django's CSRF check (origin, cookie, token).

    A multipart body that nobody has read yet is left unread: the upload view streams it
    through its own hashing handler, so a session upload sends the token in `X-CSRFToken`.
    """
    probe = request
    if request.content_type == "multipart/form-data" and not hasattr(request, "_post"):
        probe = copy.copy(request)
        probe._post, probe._files = QueryDict(), MultiValueDict()  # type: ignore[attr-defined]
    # No view here: Django only reads the callback's csrf_exempt flag, and None has none (the
    # stubs want a view).
    reason = _CsrfCheck(lambda _request: HttpResponse()).process_view(
        probe, None, (), {}  # type: ignore[arg-type]
    )
    if reason:
        raise Forbidden(f"CSRF Failed: {reason}")


class SessionCookieAuthentication(BaseAuthentication):
    """The browser session, last in the REST API's chain; writes need the CSRF token."""

    def authenticate(self, request: HttpRequest) -> tuple[object, Principal] | None:
        django_request = request._request  # type: ignore[attr-defined]
        principal = session_principal(django_request)
        if principal.is_anonymous:
            return None
        if django_request.method not in SAFE_METHODS:
            enforce_csrf(django_request)
        return principal.user, principal
