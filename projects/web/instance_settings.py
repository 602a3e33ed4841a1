"""The admins' page for the instance's package settings: forwarding of PyPI misses, its mode,
the upstream's offline switch and the supply-chain policy (PUT /application/settings).

GitLab has this at /admin/application_settings/ci_cd (Admin Area > Settings > CI/CD > Package
Registry). Here `/admin/` is Django's admin site, whose catch-all would answer for that path,
so the page lives under the site's own `/-/` prefix: /-/admin/application_settings/ci_cd.
"""

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from projects import services
from projects.access import access_application_settings
from projects.principals import Principal
from projects.web.pages import ui_page
from projects.web.upstream_forms import InstanceUpstreamForm

URL = "/-/admin/application_settings/ci_cd"


@require_http_methods(["GET", "HEAD", "POST"])
@ui_page(sign_in_required=True)
def instance_package_settings(request: HttpRequest, principal: Principal) -> HttpResponse:
    """Admins only: anyone else signed in gets the plain 404, anonymous callers the sign-in."""
    app_settings = access_application_settings(principal)
    form = InstanceUpstreamForm(request.POST or None,
                                initial=InstanceUpstreamForm.initial_for(app_settings))
    if request.method == "POST" and form.is_valid():
        services.application_settings_update(actor=principal, **form.upstream_changes())
        messages.success(request, "Package registry settings saved.")
        return redirect(URL)
    return render(request, "admin_settings/packages.html", {"form": form},
                  status=400 if form.errors else 200)
