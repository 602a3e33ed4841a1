"""PyPI routes under /api/v4 (GitLab's paths)."""

urlpatterns: list = []
