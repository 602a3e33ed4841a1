"""Issue a personal access token for a user and print only its secret."""

import datetime
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from auth_tokens.services import personal_access_token_issue
from projects.models import User
from registry.http.exceptions import RegistryError


class Command(BaseCommand):
    help = "Create a personal access token; prints the token (shown only this once)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("username")
        parser.add_argument("--name", required=True)
        parser.add_argument("--scopes", default="api", help="comma-separated, e.g. api,read_api")
        parser.add_argument("--expires-at", type=datetime.date.fromisoformat, default=None)

    # argparse values, typed as the options of BaseCommand.handle are.
    def handle(self, *args: object, **options: Any) -> None:
        user = User.objects.filter(username=options["username"]).first()
        if user is None:
            raise CommandError(f"no user {options['username']!r}")
        scopes = [scope.strip() for scope in str(options["scopes"]).split(",") if scope.strip()]
        try:
            _, secret = personal_access_token_issue(
                user=user, name=str(options["name"]), scopes=scopes,
                expires_at=options["expires_at"],
            )
        except RegistryError as error:
            raise CommandError(error.message) from error
        self.stdout.write(secret)
