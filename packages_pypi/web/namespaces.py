"""The overview pages: the dashboard (`/`), a group's and a project's (`/<path>`).

They live here, not in `projects/web`, because they show what the projects hold.
"""

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_safe

from packages_pypi import selectors as package_selectors
from packages_pypi.web.install import (
    anyone_installs,
    group_install_snippet,
    index_urls,
    publish_snippets,
)
from projects import selectors
from projects.access import Ability, access_group, access_project, can, packages_readable_filter
from projects.models import Group, Project
from projects.principals import Principal
from projects.web.pages import group_may_manage_deploy_tokens, ui_page
from registry.http.exceptions import NotFound
from registry.http.site import base_url
from registry.http.ui import paginate, search_term

RECENT_PACKAGES = 5
DASHBOARD_PACKAGES = 5  # the rest are one link away, on the package search page


@require_safe
@ui_page()
def dashboard(request: HttpRequest, principal: Principal) -> HttpResponse:
    """The groups and projects the viewer can read; a search also finds packages by any spelling."""
    search = search_term(request)
    projects = selectors.projects_visible(principal, search=search)
    packages = package_selectors.package_rows(
        Project.objects.filter(packages_readable_filter(principal)), search=search
    ) if search else []
    return render(request, "dashboard.html", {
        "search": search,
        "packages": packages[:DASHBOARD_PACKAGES],
        "package_matches": len(packages),
        "groups": selectors.groups_visible(principal, search=search)[:50],
        "projects": paginate(request, package_selectors.with_package_count(projects)),
    })


@require_safe
@ui_page()
def namespace_show(request: HttpRequest, principal: Principal, full_path: str) -> HttpResponse:
    """`/<path>`: a project's overview when a project has this path, else a group's."""
    try:
        project = access_project(principal, full_path, Ability.READ_PROJECT)
    except NotFound:
        group = access_group(principal, full_path, Ability.READ_GROUP)
        return _group_show(request, principal, group)
    return _project_show(request, principal, project)


def _group_show(request: HttpRequest, principal: Principal, group: Group) -> HttpResponse:
    return render(request, "groups/show.html", {
        "group": group,
        "subgroups": selectors.subgroups_visible(principal, group),
        "projects": package_selectors.with_package_count(
            selectors.group_projects_visible(principal, group)
        ),
        "can_manage_tokens": group_may_manage_deploy_tokens(principal, group),
        "can_admin": can(principal, Ability.ADMIN_GROUP, group),
        "can_create_subgroup": can(principal, Ability.CREATE_SUBGROUP, group),
        "can_create_project": can(principal, Ability.CREATE_PROJECT, group),
        "group_install": group_install_snippet(
            base_url=base_url(request), principal=principal, group=group
        ),
    })


def _project_show(request: HttpRequest, principal: Principal, project: Project) -> HttpResponse:
    can_read_packages = can(principal, Ability.READ_PACKAGE, project)
    rows = package_selectors.package_rows([project]) if can_read_packages else []
    return render(request, "projects/show.html", {
        "project": project,
        "can_read_packages": can_read_packages,
        "package_count": len(rows),
        "recent": rows[:RECENT_PACKAGES],
        "can_manage_tokens": can(principal, Ability.ADMIN_PROJECT, project),
        "can_manage_packages": can(principal, Ability.ADMIN_PACKAGE, project),
        "urls": index_urls(base_url(request), project, project.namespace),
        "anyone_installs": anyone_installs(project=project),
        "publish": publish_snippets(base_url=base_url(request), project=project),
    })
