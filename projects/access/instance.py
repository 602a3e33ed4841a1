"""Who may change the instance's settings from the web pages: administrators only."""

from projects.models import ApplicationSettings
from projects.principals import Principal
from registry.http.exceptions import NotFound, Unauthorized


def access_application_settings(principal: Principal) -> ApplicationSettings:
    """The instance settings, for an administrator.

    Raises Unauthorized for an anonymous caller (a page sends them to sign in) and NotFound for
    everyone else: the API's 403 would tell a user that an admin page exists there.
    """
    if principal.is_anonymous:
        raise Unauthorized()
    if not principal.is_admin:
        raise NotFound()
    return ApplicationSettings.load()
