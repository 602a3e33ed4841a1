"""Pages for the dashboard, groups and projects (GitLab's `/`, `/<group>`, `/<group>/<project>`)."""

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_safe

from projects import selectors
from projects.principals import Principal
from projects.web.pages import ui_page
from registry.http.ui import paginate, search_term


@require_safe


@ui_page()


def dashboard(request: HttpRequest, principal: Principal) -> HttpResponse:
    """The groups and projects the viewer can read, with a search box."""
    search = search_term(request)
    return render(request, "dashboard.html", {
        "search": search,
        "groups": selectors.groups_visible(principal, search=search)[:50],
        "projects": paginate(request, selectors.projects_visible(principal, search=search)),
    })
