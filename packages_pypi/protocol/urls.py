"""PyPI routes under /api/v4 (GitLab's paths).

Ids may be URL-encoded full paths; servers decode `%2F`, so `ref` is greedy and each route
ends in a fixed suffix (gitlab-api-v4.md §3). A trailing slash is tolerated, as pip sends one.
"""

from django.urls import re_path

from packages_pypi.protocol import views

_FILE = r"files/(?P<sha256>[0-9A-Fa-f]{64})/(?P<filename>[^/]+)"
_NAME = r"simple/(?P<name>[^/]+)/?"

urlpatterns = [
    re_path(r"^projects/(?P<ref>.+)/packages/pypi/?$", views.ProjectUpload.as_view()),
    re_path(r"^projects/(?P<ref>.+)/packages/pypi/simple/?$", views.ProjectIndex.as_view()),
    re_path(rf"^projects/(?P<ref>.+)/packages/pypi/{_NAME}$", views.ProjectDetail.as_view()),
    re_path(rf"^projects/(?P<ref>.+)/packages/pypi/{_FILE}$", views.ProjectFile.as_view()),
    re_path(r"^groups/(?P<ref>.+)/-/packages/pypi/simple/?$", views.GroupIndex.as_view()),
    re_path(rf"^groups/(?P<ref>.+)/-/packages/pypi/{_NAME}$", views.GroupDetail.as_view()),
    re_path(rf"^groups/(?P<ref>.+)/-/packages/pypi/{_FILE}$", views.GroupFile.as_view()),
    re_path(r"^groups/(?P<ref>.+)/-/packages/pypi/upstream/(?P<name>[^/]+)/?$",
            views.GroupUpstreamExplanation.as_view()),
]
