"""Verify an OIDC ID token with PyJWT: the issuer's key, RS256 or ES256 only, our audience,
the time claims with a small leeway. Each failure says which check it was (uv prints it)."""

from typing import Any

import jwt

from auth_tokens.oidc import keys
from auth_tokens.oidc.errors import MintRefused, invalid_payload, invalid_token

# What CI issuers sign with (GitHub and GitLab RS256, others ES256). Never `none`, never an
# HMAC: with HS256 a public key would be taken as the shared secret.
ALGORITHMS = ("RS256", "ES256")
# pypi.org's leeway for clocks that disagree a little.
LEEWAY_SECONDS = 30
REQUIRED_CLAIMS = ["iss", "aud", "exp", "iat", "jti"]
# CI ID tokens live minutes (GitHub, GitLab) to a job's length; one that claims to live longer
# than this is refused, which also bounds how long its jti must be remembered.
MAX_LIFETIME_SECONDS = 24 * 3600

Claims = dict[str, Any]


def unverified_issuer(id_token: str) -> str:
    """The `iss` the token claims, read before any check: it picks the keys to check with."""
    try:
        claims = jwt.decode(id_token, options={"verify_signature": False})
    except jwt.PyJWTError as error:
        raise invalid_payload("malformed JWT") from error
    issuer = claims.get("iss")
    if not isinstance(issuer, str) or not issuer:
        raise invalid_payload("malformed JWT: no iss claim")
    return issuer


def verify(id_token: str, *, issuer: str, audience: str) -> Claims:
    """The token's claims once its signature and standard claims hold; else MintRefused."""
    try:
        header = jwt.get_unverified_header(id_token)
    except jwt.PyJWTError as error:
        raise invalid_payload("malformed JWT") from error
    algorithm = header.get("alg")
    if algorithm not in ALGORITHMS:
        raise invalid_token(f"algorithm {algorithm!r} is not accepted (only RS256 or ES256)")
    kid = header.get("kid")
    if not isinstance(kid, str) or not kid:
        raise invalid_token("the token names no signing key (kid)")
    key = _public_key(issuer, kid, algorithm)
    try:
        claims = jwt.decode(
            id_token, key=key, algorithms=[algorithm], audience=audience, issuer=issuer,
            leeway=LEEWAY_SECONDS,
            options={"require": REQUIRED_CLAIMS, "strict_aud": True},
        )
    except jwt.PyJWTError as error:
        raise _refusal(error, audience) from error
    # PyJWT accepts any value int() takes ("1700000000", 1.7e9): from here on they are ints.
    claims["exp"], claims["iat"] = int(claims["exp"]), int(claims["iat"])
    if claims["exp"] - claims["iat"] > MAX_LIFETIME_SECONDS:
        raise invalid_token("the token lives longer than a day (exp - iat)")
    return claims


def _public_key(issuer: str, kid: str, algorithm: str) -> Any:
    try:
        jwk = keys.signing_key(issuer, kid)
    except keys.KeysUnavailable as error:
        raise invalid_token(f"the issuer's signing keys could not be fetched: {error}") from error
    if jwk is None:
        raise invalid_token(f"signing key {kid!r} is not in the issuer's JWKS")
    try:
        parsed = jwt.PyJWK(jwk)
    except (jwt.PyJWTError, KeyError, TypeError, ValueError) as error:  # the JWK is untrusted
        raise invalid_token(f"signing key {kid!r} of the issuer cannot be used") from error
    if parsed.algorithm_name != algorithm:
        raise invalid_token(
            f"signing key {kid!r} is for {parsed.algorithm_name}, the token says {algorithm}"
        )
    return parsed.key


def _refusal(error: jwt.PyJWTError, audience: str) -> MintRefused:
    # The subclasses before their bases (InvalidAudienceError is an InvalidTokenError).
    if isinstance(error, jwt.ExpiredSignatureError):
        return invalid_token("the token has expired (exp)")
    if isinstance(error, jwt.ImmatureSignatureError):
        return invalid_token("the token is not yet valid (nbf or iat in the future)")
    if isinstance(error, jwt.InvalidAudienceError):
        return invalid_token(f"the token's audience (aud) is not {audience!r}")
    if isinstance(error, jwt.InvalidIssuerError):
        return invalid_token("the token's issuer (iss) does not match")
    if isinstance(error, jwt.MissingRequiredClaimError):
        return invalid_token(f"the token has no {error.claim!r} claim")
    if isinstance(error, jwt.InvalidSignatureError):
        return invalid_token("the token's signature does not verify")
    return invalid_token(f"malformed or invalid token ({error})")
