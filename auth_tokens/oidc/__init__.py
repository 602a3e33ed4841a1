"""Trusted publishing: verify a CI job's OIDC ID token and mint it a short-lived upload token.

`issuers` (which issuers and URLs are acceptable), `keys` (an issuer's signing keys, fetched
with bounds and cached), `verification` (signature and standard claims), `publishers` (a
publisher's configuration and its claim rules), `exchange` (the mint service), `errors`
(pypi.org's error shape).
"""
