"""Where the session counts and where it does not (issue 9, findings 1 and 6)."""

import pytest
from django.contrib.auth.models import AnonymousUser
from django.middleware.csrf import get_token
from django.test import RequestFactory

from auth_tokens.authentication import authenticate_request, enforce_csrf
from projects.principals import PrincipalKind, session_principal
from registry.http.exceptions import Forbidden
from tests.conftest import basic_auth
from tests.factories import make_job_token, make_pat, make_project, make_user

pytestmark = pytest.mark.django_db


def _request(settings, method="post", *, user=None, content_type="application/json", **headers):
    factory = RequestFactory()
    if method == "get":
        request = factory.get("/x", headers=headers)
    else:
        request = getattr(factory, method)("/x", data=b"--x--", content_type=content_type,
                                           headers=headers)
    request.user = user or AnonymousUser()
    if user is not None:
        request.COOKIES[settings.SESSION_COOKIE_NAME] = "session-id"
    return request


def _with_csrf_pair(request, settings):
    """The cookie and the header a page of ours would send."""
    secret_request = RequestFactory().get("/")
    token = get_token(secret_request)
    request.COOKIES[settings.CSRF_COOKIE_NAME] = secret_request.META["CSRF_COOKIE"]
    request.META["HTTP_X_CSRFTOKEN"] = token
    return request


def test_session_principal_ignores_every_token(settings):
    user = make_user()
    headers = {
        "Authorization": basic_auth("gitlab-ci-token", make_job_token(make_project(), user)),
        "PRIVATE-TOKEN": make_pat(user),
    }
    assert session_principal(_request(settings, "get", **headers)).is_anonymous


def test_session_principal_is_the_signed_in_user(settings):
    user = make_user()
    principal = session_principal(_request(settings, "get", user=user))
    assert (principal.kind, principal.user) == (PrincipalKind.USER, user)
    assert principal.personal_access_token is None


@pytest.mark.parametrize("method", ["post", "put", "patch", "delete"])
def test_a_session_write_without_the_csrf_token_is_forbidden(settings, method):
    request = _request(settings, method, user=make_user())

    with pytest.raises(Forbidden, match="CSRF Failed"):
        authenticate_request(request)


def test_a_session_write_with_the_csrf_token_is_the_user(settings):
    user = make_user()
    request = _with_csrf_pair(_request(settings, user=user), settings)

    assert authenticate_request(request).user == user


def test_a_session_read_needs_no_csrf_token(settings):
    user = make_user()
    assert authenticate_request(_request(settings, "get", user=user)).user == user


def test_a_token_write_needs_no_csrf_token_even_with_a_session(settings):
    user, other = make_user(), make_user()
    request = _request(settings, user=other, **{"PRIVATE-TOKEN": make_pat(user)})

    assert authenticate_request(request).user == user


def test_an_anonymous_write_is_not_a_csrf_matter(settings):
    assert authenticate_request(_request(settings)).is_anonymous


def test_the_csrf_check_leaves_an_unread_multipart_body_for_the_upload_handler(settings):
    request = _with_csrf_pair(
        _request(settings, user=make_user(), content_type="multipart/form-data; boundary=x"),
        settings,
    )

    enforce_csrf(request)

    assert not hasattr(request, "_post")  # the view can still install its own handler
    request.upload_handlers = []
