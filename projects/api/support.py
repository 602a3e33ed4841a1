"""Who may call a user-level API endpoint: users only, signed in, or administrators."""

from rest_framework.request import Request

from projects.principals import Principal, PrincipalKind, principal_of
from registry.http.exceptions import Forbidden, Unauthorized


def user_principal(request: Request) -> Principal:
    """The caller of a user-level endpoint: a user or nobody.

    Deploy tokens, job tokens and trusted publishers' minted tokens do not open the
    administration API (spec §5.7), so they are refused as an unknown credential would be.
    """
    principal = principal_of(request)
    if principal.kind in {
        PrincipalKind.DEPLOY_TOKEN, PrincipalKind.JOB, PrincipalKind.TRUSTED_PUBLISHER,
    }:
        raise Unauthorized()
    return principal


def signed_in_principal(request: Request) -> Principal:
    """A user caller; raises Unauthorized for anonymous callers."""
    principal = user_principal(request)
    if principal.user is None:
        raise Unauthorized()
    return principal


def admin_principal(request: Request) -> Principal:
    """An administrator; anonymous callers get 401, everyone else 403."""
    principal = signed_in_principal(request)
    if not principal.is_admin:
        raise Forbidden()
    return principal
