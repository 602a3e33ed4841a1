"""Trusted publishing's exchange, at the root of the host as pypi.org serves it."""

from django.urls import path

from auth_tokens.protocol import oidc

urlpatterns = [
    path("_/oidc/audience", oidc.OidcAudienceApi.as_view(), name="oidc_audience"),
    path("_/oidc/mint-token", oidc.OidcMintTokenApi.as_view(), name="oidc_mint_token"),
    # pypi.org's older name for the same exchange (gh-action-pypi-publish before v1.9).
    path("_/oidc/github/mint-token", oidc.OidcMintTokenApi.as_view()),
]
