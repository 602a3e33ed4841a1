"""Django admin for tokens: prefixes and metadata only; a secret is never stored to show."""

import json

from django.contrib import admin
from django.utils.html import format_html

from auth_tokens.models import (
    CiJob,
    DeployToken,
    PersonalAccessToken,
    PublishingToken,
    TrustedPublisher,
)


class TokenAdmin(admin.ModelAdmin):
    """Tokens are issued through the API, the UI or a command, which show the secret once."""

    readonly_fields = ("token_prefix", "last_used_at", "created_at")
    exclude = ("token_digest",)

    def has_add_permission(self, request) -> bool:  # noqa: ANN001
        return False


@admin.register(PersonalAccessToken)
class PersonalAccessTokenAdmin(TokenAdmin):
    list_display = (
        "name", "user", "token_prefix", "scopes", "expires_at", "revoked", "last_used_at"
    )
    list_filter = ("revoked",)
    search_fields = ("name", "user__username", "token_prefix")


@admin.register(DeployToken)
class DeployTokenAdmin(TokenAdmin):
    list_display = ("name", "username", "project", "group", "token_prefix", "scopes", "expires_at",
                    "revoked")
    list_filter = ("revoked",)
    search_fields = ("name", "username", "token_prefix")


@admin.register(CiJob)
class CiJobAdmin(TokenAdmin):
    list_display = ("id", "project", "user", "name", "status", "token_prefix", "created_at")
    list_filter = ("status",)
    readonly_fields = ("token_prefix", "created_at", "finished_at")


@admin.register(TrustedPublisher)
class TrustedPublisherAdmin(admin.ModelAdmin):
    """Publishers are managed by the project's maintainers (API and settings page)."""

    list_display = ("id", "project", "provider", "issuer", "claims", "created_by", "created_at")
    list_filter = ("provider",)
    search_fields = ("issuer", "lookup_key", "project__full_path")
    readonly_fields = ("created_at",)

    def has_add_permission(self, request) -> bool:  # noqa: ANN001
        return False


@admin.register(PublishingToken)
class PublishingTokenAdmin(admin.ModelAdmin):
    """Tokens minted by trusted publishing, with the claims that minted them (issue 13: here
    until audit events record them). Read-only: they are minted by the exchange alone."""

    list_display = ("token_prefix", "project", "published_by", "ref", "job", "created_at",
                    "expires_at")
    list_filter = ("provider",)
    search_fields = ("token_prefix", "project__full_path", "issuer")
    exclude = ("token_digest", "claims")
    readonly_fields = ("token_prefix", "project", "publisher", "provider", "issuer",
                       "claims_table", "expires_at", "last_used_at", "created_at")

    def has_add_permission(self, request) -> bool:  # noqa: ANN001
        return False

    def has_change_permission(self, request, obj=None) -> bool:  # noqa: ANN001
        return False

    @admin.display(description="published by")
    def published_by(self, token: PublishingToken) -> str:
        return token.published_by

    @admin.display(description="ref")
    def ref(self, token: PublishingToken) -> str:
        return str(token.claims.get("ref", ""))

    @admin.display(description="job")
    def job(self, token: PublishingToken) -> str:
        url = token.claims.get("job_url")
        return format_html('<a href="{}" rel="noreferrer">{}</a>', url, url) if url else ""

    @admin.display(description="claims")
    def claims_table(self, token: PublishingToken) -> str:
        return format_html("<pre>{}</pre>", json.dumps(token.claims, indent=2, sort_keys=True))
