"""The exchange: a CI job's verified ID token in, a short-lived upload token for one project
out. Nothing is stored unless every check passes; then the token's `jti` and the minted token
are written in one transaction, so a replay (on any app server) finds the `jti` taken."""

import datetime
from collections.abc import Mapping
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from auth_tokens import tokens
from auth_tokens.models import PublishingToken, TrustedPublisher, UsedIdToken
from auth_tokens.oidc import issuers, publishers, verification
from auth_tokens.oidc.errors import (
    INVALID_PUBLISHER,
    INVALID_REUSE_TOKEN,
    MintRefused,
    invalid_payload,
    invalid_token,
)
from projects.audit.services import audit_event_record
from projects.principals import Principal

# A jti is remembered a little past the token's expiry: verification's leeway, and a margin.
JTI_MARGIN = datetime.timedelta(seconds=verification.LEEWAY_SECONDS + 5)


def publishing_token_mint(*, id_token: str, audience: str) -> tuple[PublishingToken, str]:
    """Exchange `id_token` for a new publishing token; returns it with its secret.

    Raises MintRefused (422, pypi.org's codes) naming the check that failed.
    """
    issuer = verification.unverified_issuer(id_token)
    if not issuers.is_allowed(issuer):
        raise invalid_payload("unknown trusted publishing issuer")
    claims = verification.verify(id_token, issuer=issuer, audience=audience)
    publisher = _matching_publisher(issuer, claims)
    with transaction.atomic():
        _remember_jti(issuer, claims)
        return publishing_token_issue(publisher=publisher, claims=claims)


def _matching_publisher(issuer: str, claims: Mapping[str, Any]) -> TrustedPublisher:
    """The one publisher the claims satisfy; the most specific (environment named) wins
    within a project. Several projects are refused: a minted token publishes to one."""
    keys = Q(provider=TrustedPublisher.Provider.OIDC)
    for provider, key in publishers.token_lookup_keys(claims).items():
        keys |= Q(provider=provider, lookup_key=key)
    candidates = TrustedPublisher.objects.filter(keys, issuer=issuer).order_by("pk")
    matched, reasons = [], []
    for candidate in candidates:
        reason = publishers.mismatch(candidate, claims)
        if reason is None:
            matched.append(candidate)
        else:
            reasons.append(reason)
    if not matched:
        reason = reasons[0] if reasons else _nothing_for(claims)
        raise MintRefused(INVALID_PUBLISHER, f"valid token, but no corresponding publisher "
                                             f"({reason})")
    if len({publisher.project_id for publisher in matched}) > 1:
        raise MintRefused(INVALID_PUBLISHER, "valid token, but publishers of several projects "
                          "match it; narrow them (workflow, environment) so that one does")
    return max(matched, key=lambda publisher: "environment" in publisher.claims)


def _nothing_for(claims: Mapping[str, Any]) -> str:
    """No candidate at all: name what the token was looked up by (uv prints the claims too)."""
    named = [
        f"{field} {claims[field]!r}" for field in publishers.REQUIRED_FIELD.values()
        if isinstance(claims.get(field), str)
    ]
    if named:
        return f"no publisher with matching claims was found for {' or '.join(named)}"
    return "no publisher with matching claims was found"


def _remember_jti(issuer: str, claims: Mapping[str, Any]) -> None:
    jti = claims["jti"]
    if not isinstance(jti, str) or not jti or len(jti) > 255:
        raise invalid_token("the token's jti is not a usable identifier")
    now = timezone.now()
    # Expired entries go first: the table holds only tokens that could still be replayed.
    UsedIdToken.objects.filter(expires_at__lt=now).delete()
    expires = datetime.datetime.fromtimestamp(claims["exp"], tz=datetime.UTC) + JTI_MARGIN
    try:
        with transaction.atomic():
            UsedIdToken.objects.create(issuer=issuer, jti=jti, expires_at=expires)
    except IntegrityError as error:
        raise MintRefused(INVALID_REUSE_TOKEN, "invalid token: already used") from error


def publishing_token_issue(
    *, publisher: TrustedPublisher, claims: Mapping[str, Any]
) -> tuple[PublishingToken, str]:
    """A new publishing token for `publisher`'s project, minted for verified `claims`."""
    secret = tokens.generate(tokens.PUBLISHING_TOKEN_PREFIX)
    lifetime = datetime.timedelta(seconds=settings.REGISTRY_OIDC_TOKEN_LIFETIME_SECONDS)
    token = PublishingToken.objects.create(
        project_id=publisher.project_id,
        publisher=publisher,
        provider=publisher.provider,
        issuer=publisher.issuer,
        claims=publishers.kept_claims(publisher, claims),
        expires_at=timezone.now() + lifetime,
        token_digest=tokens.digest(secret),
        token_prefix=tokens.display_prefix(secret, tokens.PUBLISHING_TOKEN_PREFIX),
    )
    audit_event_record(
        author=Principal.for_publishing_token(token), entity=token.project,
        event_name="trusted_publishing_token_minted", target=token,
        target_details=token.published_by,
        message=f"Minted an upload token for trusted publisher {token.published_by}",
        details={"issuer": token.issuer, "expires_at": token.expires_at.isoformat(),
                 "trusted_publisher_id": publisher.pk},
    )
    return token, secret
