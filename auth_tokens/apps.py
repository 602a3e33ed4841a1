"""App config for personal access, deploy and CI job tokens."""

from django.apps import AppConfig


class AuthTokensConfig(AppConfig):
    name = "auth_tokens"
    verbose_name = "Tokens"
