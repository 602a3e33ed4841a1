"""Top-level routes: the GitLab-shaped API, the admin, health checks and the pages."""

from django.contrib import admin
from django.urls import include, path

from registry import views

urlpatterns = [
    path("admin/", admin.site.urls),
    path("-/health", views.health, name="health"),
    path("api/v4/", include("packages_pypi.urls")),
    # Last: the web UI ends in the catch-all `/<group>/<project>` paths.
    path("", include("projects.urls")),
]
