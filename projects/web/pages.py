"""What every server-rendered page shares: who is looking, and how access errors look in HTML.

The API answers 401 with a Basic challenge; a browser wants the sign-in page instead. Everything
else the viewer may not see is a plain 404, so a private name never leaks (style.md §1).
"""

import functools
from collections.abc import Callable
from typing import Any

from django.contrib.auth.views import redirect_to_login
from django.http import Http404, HttpRequest, HttpResponse

from projects.access import Ability, can
from projects.models import Group
from projects.principals import Principal, session_principal
from registry.http.exceptions import RegistryError

View = Callable[..., HttpResponse]


def ui_page(*, sign_in_required: bool = False) -> Callable[[View], View]:
    """Wrap a page view: pass it the Principal, and turn access errors into a sign-in or a 404.

    The Principal comes from the session only: a page ignores every token, in any header, so a
    CI job token or deploy token cannot read private pages or mint tokens through the forms.
    """

    def decorate(view: View) -> View:
        @functools.wraps(view)
        def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            try:
                principal = session_principal(request)
                if sign_in_required and principal.user is None:
                    return redirect_to_login(request.get_full_path())
                return view(request, principal, *args, **kwargs)
            except RegistryError as error:
                if error.status_code == 401:
                    return redirect_to_login(request.get_full_path())
                raise Http404 from error

        return wrapper

    return decorate


def group_may_manage_deploy_tokens(principal: Principal, group: Group) -> bool:
    """Group deploy tokens are for maintainers and owners (GitLab's deploy-token docs).

    The access policy's `admin_group` is owner-only, so a maintainer is recognised by the
    group's DESTROY_PACKAGE ability, which needs exactly the maintainer role.
    """
    return can(principal, Ability.ADMIN_GROUP, group) or (
        principal.user is not None and can(principal, Ability.DESTROY_PACKAGE, group)
    )
