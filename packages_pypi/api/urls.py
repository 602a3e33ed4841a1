"""Packages API routes under /api/v4 (GitLab's paths; the project id may be a full path).

Every pattern ends in `$` so that the PyPI protocol routes (`.../packages/pypi/...`) in
`packages_pypi.urls` are never swallowed, whichever order the two are included in.
"""

from django.urls import re_path

from packages_pypi.api import cleanup, lifecycle, protection, views

P = r"^projects/(?P<ref>.+)/packages"

urlpatterns = [
    # Issue 12: yanks, PEP 792 status, protection rules, cleanup policies.
    re_path(rf"{P}/(?P<package_id>\d+)/yank$", lifecycle.PackageYankApi.as_view()),
    re_path(rf"{P}/pypi/status/(?P<name>[^/]+)$", lifecycle.PackageNameStatusApi.as_view()),
    re_path(rf"{P}/protection/rules$", protection.ProtectionRuleListApi.as_view()),
    re_path(rf"{P}/protection/rules/(?P<rule_id>\d+)$",
            protection.ProtectionRuleDetailApi.as_view()),
    re_path(rf"{P}/cleanup_policy$", cleanup.CleanupPolicyApi.as_view()),
    re_path(rf"{P}/cleanup_policy/preview$", cleanup.CleanupPreviewApi.as_view()),
    re_path(
        rf"{P}/(?P<package_id>\d+)/package_files/(?P<file_id>\d+)$",
        views.PackageFileDeleteApi.as_view(),
    ),
    re_path(rf"{P}/(?P<package_id>\d+)/package_files$", views.PackageFileListApi.as_view()),
    re_path(rf"{P}/(?P<package_id>\d+)$", views.ProjectPackageDetailApi.as_view()),
    re_path(rf"{P}$", views.ProjectPackageListApi.as_view()),
    re_path(r"^groups/(?P<ref>.+)/packages$", views.GroupPackageListApi.as_view()),
]
