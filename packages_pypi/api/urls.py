"""Packages API routes under /api/v4 (GitLab's paths; the project id may be a full path).

Every pattern ends in `$` so that the PyPI protocol routes (`.../packages/pypi/...`) in
`packages_pypi.urls` are never swallowed, whichever order the two are included in.
"""

from django.urls import re_path

from packages_pypi.api import views

P = r"^projects/(?P<ref>.+)/packages"

urlpatterns = [
    re_path(
        rf"{P}/(?P<package_id>\d+)/package_files/(?P<file_id>\d+)$",
        views.PackageFileDeleteApi.as_view(),
    ),
    re_path(rf"{P}/(?P<package_id>\d+)/package_files$", views.PackageFileListApi.as_view()),
    re_path(rf"{P}/(?P<package_id>\d+)$", views.ProjectPackageDetailApi.as_view()),
    re_path(rf"{P}$", views.ProjectPackageListApi.as_view()),
    re_path(r"^groups/(?P<ref>.+)/packages$", views.GroupPackageListApi.as_view()),
]
