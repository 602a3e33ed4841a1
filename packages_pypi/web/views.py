"""Package pages: a project's and a group's package lists, the site-wide search, one version,
and deleting."""

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods, require_safe

from packages_pypi import selectors
from packages_pypi.models import Package, ProjectStatus
from packages_pypi.name_status import name_status_get
from packages_pypi.protection import access_package_delete, package_delete_allowed
from packages_pypi.services import package_destroy, package_file_destroy
from packages_pypi.web.forms import StatusForm
from packages_pypi.web.install import anyone_installs, install_snippets, publish_snippets
from packages_pypi.web.readme import description_html
from projects.access import (
    Ability,
    access_group,
    access_project,
    can,
    packages_readable_filter,
    readable_projects,
)
from projects.models import Project
from projects.principals import Principal
from projects.web.pages import ui_page
from registry.http.site import base_url
from registry.http.ui import paginate, search_term


def _project_context(principal: Principal, project: Project) -> dict[str, object]:
    """What the project tabs need on every project page."""
    return {"project": project, "can_manage_tokens": can(principal, Ability.ADMIN_PROJECT, project),
            "can_manage_packages": can(principal, Ability.ADMIN_PACKAGE, project)}


def _list_context(request: HttpRequest, projects: object) -> dict[str, object]:
    search = search_term(request)
    sort = request.GET.get("sort", selectors.DEFAULT_SORT)
    sort = sort if sort in selectors.SORTS else selectors.DEFAULT_SORT
    rows = selectors.package_rows(projects, search=search, sort=sort)  # type: ignore[arg-type]
    return {"search": search, "sort": sort, "sorts": selectors.SORTS,
            "page": paginate(request, rows)}


@require_safe
@ui_page()
def project_packages(request: HttpRequest, principal: Principal, full_path: str) -> HttpResponse:
    """`/<group>/<project>/-/packages`: one row per package name, latest version first."""
    project = access_project(principal, full_path, Ability.READ_PACKAGE)
    return render(request, "packages/project_list.html", {
        **_project_context(principal, project),
        **_list_context(request, [project]),
        "publish": publish_snippets(base_url=base_url(request), project=project),
    })


@require_safe
@ui_page()
def group_packages(request: HttpRequest, principal: Principal, full_path: str) -> HttpResponse:
    """`/groups/<group>/-/packages`: the packages of every project below that the viewer reads."""
    group = access_group(principal, full_path, Ability.READ_GROUP)
    return render(request, "packages/group_list.html", {
        "group": group,
        **_list_context(request, readable_projects(principal, group)),
    })


@require_safe
@ui_page()
def package_search(request: HttpRequest, principal: Principal) -> HttpResponse:
    """`/-/packages?search=`: every package the viewer may read, anywhere, by any spelling."""
    readable = Project.objects.filter(packages_readable_filter(principal))
    return render(request, "packages/search.html", _list_context(request, readable))


def _package(principal: Principal, full_path: str, package_id: int, ability: Ability,
             ) -> tuple[Project, Package]:
    project = access_project(principal, full_path, ability)
    package = selectors.package_with_stats_get(project, package_id)
    if package is None:
        raise Http404
    if ability is Ability.DESTROY_PACKAGE:
        access_package_delete(principal, project, package.name)
    return project, package


@require_safe
@ui_page()
def package_show(
    request: HttpRequest, principal: Principal, full_path: str, package_id: int
) -> HttpResponse:
    """One package version: files, other versions, metadata, description, how to install."""
    project, package = _package(principal, full_path, package_id, Ability.READ_PACKAGE)
    status = name_status_get(project, package.normalized_name)
    hidden = status.status == ProjectStatus.QUARANTINED and not can(
        principal, Ability.READ_QUARANTINED, project
    )
    may_quarantine = can(principal, Ability.QUARANTINE_PACKAGE, project)
    return render(request, "packages/show.html", {
        **_project_context(principal, project),
        "package": package,
        # PEP 792: a quarantined name offers its files to maintainers only.
        "files": [] if hidden else selectors.package_files(package),
        "files_hidden": hidden,
        "name_status": status,
        "can_yank": can(principal, Ability.YANK_PACKAGE, project),
        "status_form": StatusForm(initial={"status": status.status, "reason": status.reason},
                                  may_quarantine=may_quarantine),
        "can_set_status": can(principal, Ability.ADMIN_PACKAGE, project) and (
            may_quarantine or status.status != ProjectStatus.QUARANTINED),
        "versions": selectors.package_versions_sorted(package),
        "description": description_html(package.description, package.description_content_type),
        "keywords": [k for k in package.keywords.replace(",", " ").split() if k],
        "install": install_snippets(
            base_url=base_url(request), principal=principal, project=project, package=package
        ),
        "anyone_installs": anyone_installs(project=project),
        "publish": publish_snippets(base_url=base_url(request), project=project),
        "can_destroy": can(principal, Ability.DESTROY_PACKAGE, project)
        and package_delete_allowed(principal, project, package.name),
    })


@require_http_methods(["GET", "HEAD", "POST"])
@ui_page(sign_in_required=True)
def package_delete(
    request: HttpRequest, principal: Principal, full_path: str, package_id: int
) -> HttpResponse:
    """Ask, then delete a package version with all its files (maintainers)."""
    project, package = _package(principal, full_path, package_id, Ability.DESTROY_PACKAGE)
    if request.method == "POST":
        package_destroy(package=package, actor=principal)
        messages.success(request, f"Deleted {package.name} {package.version}.")
        return redirect(f"/{project.full_path}/-/packages")
    return render(request, "packages/confirm_delete.html", {
        **_project_context(principal, project),
        "package": package,
        "files": selectors.package_files(package),
    })


@require_http_methods(["GET", "HEAD", "POST"])
@ui_page(sign_in_required=True)
def package_file_delete(
    request: HttpRequest, principal: Principal, full_path: str, package_id: int, file_id: int
) -> HttpResponse:
    """Ask, then delete one file; the version goes too when it was the last (maintainers)."""
    project, package = _package(principal, full_path, package_id, Ability.DESTROY_PACKAGE)
    package_file = selectors.package_file_get(package, file_id)
    if package_file is None:
        raise Http404
    if request.method == "POST":
        package_file_destroy(package_file=package_file, actor=principal)
        messages.success(request, f"Deleted {package_file.file_name}.")
        if Package.objects.filter(pk=package.pk).exists():
            return redirect(f"/{project.full_path}/-/packages/{package.pk}")
        return redirect(f"/{project.full_path}/-/packages")
    return render(request, "packages/confirm_delete.html", {
        **_project_context(principal, project), "package": package, "package_file": package_file,
    })
