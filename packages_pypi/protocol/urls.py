"""PyPI routes under /api/v4 (GitLab's paths).

Ids may be URL-encoded full paths; servers decode `%2F`, so `ref` is greedy and each route
ends in a fixed suffix (gitlab-api-v4.md §3). A trailing slash is tolerated, as pip sends one.
"""

from django.urls import re_path

from packages_pypi.protocol import views

_FILE = r"files/(?P<sha256>[0-9A-Fa-f]{64})/(?P<filename>[^/]+)"

urlpatterns = [
    re_path(r"^projects/(?P<ref>.+)/packages/pypi/?$", views.project_upload),
    re_path(r"^projects/(?P<ref>.+)/packages/pypi/simple/?$", views.project_index),
    re_path(r"^projects/(?P<ref>.+)/packages/pypi/simple/(?P<name>[^/]+)/?$", views.project_detail),
    re_path(rf"^projects/(?P<ref>.+)/packages/pypi/{_FILE}$", views.project_file),
    re_path(r"^groups/(?P<ref>.+)/-/packages/pypi/simple/?$", views.group_index),
    re_path(r"^groups/(?P<ref>.+)/-/packages/pypi/simple/(?P<name>[^/]+)/?$", views.group_detail),
    re_path(rf"^groups/(?P<ref>.+)/-/packages/pypi/{_FILE}$", views.group_file),
]
