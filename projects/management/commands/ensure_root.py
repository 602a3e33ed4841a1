"""Create the administrator `root` on an empty database (what `make run` does on first start)."""

import secrets

from django.conf import settings
from django.core.management.base import BaseCommand

from projects.models import User
from projects.services import user_create


class Command(BaseCommand):
    help = "Create the admin user 'root' if the database has no users yet."

    def handle(self, *args: object, **options: object) -> None:
        if User.objects.exists():
            return
        password = settings.REGISTRY_ROOT_PASSWORD or secrets.token_urlsafe(18)
        user_create(username="root", email="root@localhost", name="Administrator",
                    password=password, is_admin=True)
        if settings.REGISTRY_ROOT_PASSWORD:
            self.stdout.write("Created the admin user 'root' with REGISTRY_ROOT_PASSWORD.")
        else:
            # Shown this once only: it is not stored anywhere in clear.
            self.stdout.write(f"Created the admin user 'root' with password: {password}")
