"""Top-level routes: the GitLab-shaped API, the admin, health checks and the pages."""

from django.contrib import admin
from django.urls import include, path

from registry import views

urlpatterns = [
    path("admin/", admin.site.urls),
    path("-/health", views.health, name="health"),
    path("-/readiness", views.readiness, name="readiness"),
    path("api/v4/", include("packages_pypi.urls")),
    path("", views.home, name="home"),
]
