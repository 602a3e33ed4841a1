"""Django admin for tokens: prefixes and metadata only; a secret is never stored to show."""

from django.contrib import admin

from auth_tokens.models import CiJob, DeployToken, PersonalAccessToken


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
