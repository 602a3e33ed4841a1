"""Top-level routes: the GitLab-shaped API, the admin, health checks and the pages."""

from django.contrib import admin
from django.urls import include, path

from registry import views

# A database that cannot be reached answers 503 with Retry-After, not 500.
handler500 = "registry.views.server_error"

urlpatterns = [
    path("admin/", admin.site.urls),
    path("-/health", views.health, name="health"),
    path("-/readiness", views.readiness, name="readiness"),
    # Order matters under api/v4 (gitlab-api-v4.md §3): the PyPI protocol routes first, then
    # the Packages API and token routes, and last the module ending in the `projects/<ref>`
    # and `groups/<ref>` catch-alls.
    path("api/v4/", include("packages_pypi.protocol.urls")),
    path("api/v4/", include("packages_pypi.api.urls")),
    path("api/v4/", include("auth_tokens.api.urls")),
    path("api/v4/", include("projects.api.urls")),
    # Last: the web UI ends in the catch-all `/<group>/<project>` paths.
    path("", include("registry.web_urls")),
]
