"""Every route of the site: the GitLab-shaped API, the admin, health checks and the pages."""

from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path, re_path
from django.views.generic import RedirectView

from auth_tokens.web import trusted_publishers as publisher_views
from auth_tokens.web import views as token_views
from packages_pypi.web import lifecycle as lifecycle_views
from packages_pypi.web import namespaces as namespace_views
from packages_pypi.web import views as package_views
from projects.web import audit_events as audit_views
from projects.web import instance_settings
from projects.web import views as project_views
from registry import views

# A database that cannot be reached answers 503 with Retry-After, not 500.
handler500 = "registry.views.server_error"
# An /api/ route that does not exist answers GitLab's JSON 404, not the page.
handler404 = "registry.views.not_found"


_SEGMENT = r"[A-Za-z0-9_][A-Za-z0-9_.\-]*"
# First segments that belong to the application, never to a group (services.RESERVED_PATHS).
_RESERVED = r"(?!(?i:api|admin|static|users|groups|media|-)(?:/|$))"
_PATH = rf"{_SEGMENT}(?:/{_SEGMENT})*"
FULL_PATH = rf"(?P<full_path>{_RESERVED}{_PATH})"
GROUP_PATH = rf"(?P<full_path>{_PATH})"

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
    # Trusted publishing (issue 13): pypi.org's exchange, at the root as uv and twine call it.
    path("", include("auth_tokens.protocol.urls")),
    # The web UI: GitLab's page paths, ending in the catch-all `/<group>/<project>`.
    path("", namespace_views.dashboard, name="dashboard"),
    path("users/sign_in", auth_views.LoginView.as_view(
        template_name="users/sign_in.html", next_page="/", redirect_authenticated_user=True,
    ), name="sign_in"),
    path("users/sign_out", auth_views.LogoutView.as_view(next_page="/"), name="sign_out"),
    path("-/packages", package_views.package_search, name="package_search"),
    path("-/audit_events", audit_views.instance_audit_events, name="audit_events"),
    # GitLab's /admin/application_settings/ci_cd, moved under `/-/`: `/admin/` is Django's.
    path("-/admin/application_settings/ci_cd", instance_settings.instance_package_settings,
         name="instance_package_settings"),
    re_path(rf"^groups/{GROUP_PATH}/-/audit_events$", audit_views.group_audit_events,
            name="group_audit_events"),
    re_path(rf"^{FULL_PATH}/-/audit_events$", audit_views.project_audit_events,
            name="project_audit_events"),
    path("-/user_settings/personal_access_tokens", token_views.personal_access_tokens,
         name="personal_access_tokens"),
    path("-/user_settings/personal_access_tokens/<int:token_id>/revoke",
         token_views.personal_access_token_revoke, name="personal_access_token_revoke"),
    # Creating and managing groups, projects and members (GitLab's page paths).
    path("groups/new", project_views.group_new, name="group_new"),
    path("projects/new", project_views.project_new, name="project_new"),
    re_path(rf"^groups/{GROUP_PATH}/-/group_members$", project_views.members,
            {"kind": "group"}, name="group_members"),
    re_path(rf"^groups/{GROUP_PATH}/-/group_members/(?P<user_id>\d+)$",
            project_views.member_update, {"kind": "group"}, name="group_member_update"),
    re_path(rf"^groups/{GROUP_PATH}/-/group_members/(?P<user_id>\d+)/remove$",
            project_views.member_remove, {"kind": "group"}, name="group_member_remove"),
    re_path(rf"^groups/{GROUP_PATH}/-/edit$", project_views.group_edit, name="group_edit"),
    re_path(rf"^{FULL_PATH}/-/project_members$", project_views.members,
            {"kind": "project"}, name="project_members"),
    re_path(rf"^{FULL_PATH}/-/project_members/(?P<user_id>\d+)$",
            project_views.member_update, {"kind": "project"}, name="project_member_update"),
    re_path(rf"^{FULL_PATH}/-/project_members/(?P<user_id>\d+)/remove$",
            project_views.member_remove, {"kind": "project"}, name="project_member_remove"),
    re_path(rf"^{FULL_PATH}/edit$", project_views.project_edit, name="project_edit"),
    # GitLab also names a group `/groups/<path>`; its page lives at `/<path>`.
    re_path(rf"^groups/{GROUP_PATH}$", RedirectView.as_view(url="/%(full_path)s")),
    re_path(rf"^groups/{GROUP_PATH}/-/packages$", package_views.group_packages,
            name="group_packages"),
    re_path(rf"^groups/{GROUP_PATH}/-/settings/repository$", token_views.deploy_tokens,
            {"kind": "group"}, name="group_deploy_tokens"),
    re_path(rf"^groups/{GROUP_PATH}/-/settings/repository/deploy_tokens/(?P<token_id>\d+)/revoke$",
            token_views.deploy_token_revoke, {"kind": "group"}, name="group_deploy_token_revoke"),
    re_path(rf"^{FULL_PATH}/-/packages$", package_views.project_packages,
            name="project_packages"),
    re_path(rf"^{FULL_PATH}/-/packages/(?P<package_id>\d+)$", package_views.package_show,
            name="package_show"),
    re_path(rf"^{FULL_PATH}/-/packages/(?P<package_id>\d+)/delete$",
            package_views.package_delete, name="package_delete"),
    re_path(rf"^{FULL_PATH}/-/packages/(?P<package_id>\d+)/files/(?P<file_id>\d+)/delete$",
            package_views.package_file_delete, name="package_file_delete"),
    # Package lifecycle (issue 12): yank, status, and the project's package settings.
    re_path(rf"^{FULL_PATH}/-/packages/(?P<package_id>\d+)/yank$", lifecycle_views.package_yank,
            name="package_yank"),
    re_path(rf"^{FULL_PATH}/-/packages/(?P<package_id>\d+)/status$",
            lifecycle_views.package_status, name="package_status"),
    re_path(rf"^{FULL_PATH}/-/settings/packages$", lifecycle_views.package_settings,
            name="project_package_settings"),
    re_path(rf"^{FULL_PATH}/-/settings/packages/rules/(?P<rule_id>\d+)/delete$",
            lifecycle_views.protection_rule_delete, name="protection_rule_delete"),
    re_path(rf"^{FULL_PATH}/-/settings/repository$", token_views.deploy_tokens,
            {"kind": "project"}, name="project_deploy_tokens"),
    re_path(rf"^{FULL_PATH}/-/settings/repository/deploy_tokens/(?P<token_id>\d+)/revoke$",
            token_views.deploy_token_revoke, {"kind": "project"},
            name="project_deploy_token_revoke"),
    re_path(rf"^{FULL_PATH}/-/settings/trusted_publishers$", publisher_views.trusted_publishers,
            name="trusted_publishers"),
    re_path(rf"^{FULL_PATH}/-/settings/trusted_publishers/(?P<publisher_id>\d+)/delete$",
            publisher_views.trusted_publisher_delete, name="trusted_publisher_delete"),
    re_path(rf"^{FULL_PATH}$", namespace_views.namespace_show, name="namespace_show"),
]
