"""WSGI entry point for gunicorn."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "registry.settings")

_django = get_wsgi_application()
from packages_pypi.protocol.front_cache import front_cache  # noqa: E402 (needs django.setup)

# Repeated anonymous index requests are answered before Django (packages_pypi front_cache).
application = front_cache(_django)
