"""Each way to present a credential, and GitLab's edge cases for each (spec §2.1)."""

import datetime

import pytest
from django.contrib.auth.models import AnonymousUser
from django.test import RequestFactory
from rest_framework.response import Response
from rest_framework.test import APIRequestFactory
from rest_framework.views import APIView

from auth_tokens.authentication import InsufficientScope, InvalidToken, authenticate_request
from auth_tokens.models import CiJob, PersonalAccessToken
from auth_tokens.services import ci_job_finish, token_revoke
from projects.principals import PrincipalKind, principal_of
from registry.http.exceptions import Forbidden
from tests.conftest import basic_auth
from tests.factories import (
    make_deploy_token,
    make_job_token,
    make_pat,
    make_project,
    make_user,
)

pytestmark = pytest.mark.django_db


def _request(method: str = "get", **headers: str):
    request = getattr(RequestFactory(), method)("/api/v4/anything", headers=headers)
    request.user = AnonymousUser()
    return request


@pytest.fixture
def user():
    return make_user("alice")


@pytest.mark.parametrize("username", ["alice", "__token__", "anything at all", ""])
def test_basic_password_that_is_a_pat_authenticates_whatever_the_username(user, username):
    secret = make_pat(user)

    principal = authenticate_request(_request(Authorization=basic_auth(username, secret)))

    assert principal.kind is PrincipalKind.USER
    assert principal.user == user
    assert principal.personal_access_token.name == "test"


@pytest.mark.parametrize("password", ["wrong", "glpat-notarealtokenatall", "gldt-nope", ""])
def test_basic_with_a_random_wrong_password_is_anonymous(password):
    principal = authenticate_request(_request(Authorization=basic_auth("alice", password)))

    assert principal.is_anonymous


def test_private_token_header_authenticates(user):
    principal = authenticate_request(_request(**{"PRIVATE-TOKEN": make_pat(user)}))

    assert principal.user == user


def test_bearer_pat_authenticates(user):
    principal = authenticate_request(_request(Authorization=f"Bearer {make_pat(user)}"))

    assert principal.user == user


@pytest.mark.parametrize(
    "headers",
    [{"PRIVATE-TOKEN": "glpat-unknown"}, {"Authorization": "Bearer glpat-unknown"},
     {"DEPLOY-TOKEN": "gldt-unknown"}, {"JOB-TOKEN": "glcbt-unknown"}],
    ids=["private-token", "bearer", "deploy-token", "job-token"],
)
def test_an_unknown_token_in_a_named_header_is_a_401(headers):
    with pytest.raises(InvalidToken) as caught:
        authenticate_request(_request(**headers))

    assert caught.value.status_code == 401


def test_expired_pat_is_a_hard_401_even_in_basic_auth(user):
    secret = make_pat(user, expires_at=datetime.date.today())

    with pytest.raises(InvalidToken) as caught:
        authenticate_request(_request(Authorization=basic_auth("alice", secret)))

    assert caught.value.body == {
        "error": "invalid_token",
        "error_description": "Token is expired. You can either do re-authorization or token "
        "refresh.",
    }


def test_revoked_pat_is_a_hard_401(user):
    secret = make_pat(user)
    token_revoke(token=PersonalAccessToken.objects.get(user=user))

    with pytest.raises(InvalidToken) as caught:
        authenticate_request(_request(**{"PRIVATE-TOKEN": secret}))

    assert "revoked" in caught.value.body["error_description"]


@pytest.mark.parametrize("method", ["get", "head"])
def test_read_api_pat_may_read(user, method):
    secret = make_pat(user, scopes=("read_api",))

    assert authenticate_request(_request(method, **{"PRIVATE-TOKEN": secret})).user == user


@pytest.mark.parametrize("method", ["post", "put", "delete"])
def test_read_api_pat_may_not_write(user, method):
    secret = make_pat(user, scopes=("read_api",))

    with pytest.raises(InsufficientScope) as caught:
        authenticate_request(_request(method, Authorization=basic_auth("x", secret)))

    assert caught.value.status_code == 403
    assert caught.value.body["error"] == "insufficient_scope"


def test_pat_without_an_api_scope_is_refused(user):
    secret = make_pat(user, scopes=("read_user", "read_repository"))

    with pytest.raises(InsufficientScope):
        authenticate_request(_request(**{"PRIVATE-TOKEN": secret}))


def test_blocked_users_token_is_forbidden(user):
    secret = make_pat(user)
    user.state = user.State.BLOCKED
    user.save()

    with pytest.raises(Forbidden):
        authenticate_request(_request(Authorization=basic_auth("alice", secret)))


@pytest.mark.parametrize("username", ["deployer", "gitlab+deploy-token-1", ""])
def test_deploy_token_in_basic_auth_authenticates_whatever_the_username(username):
    project = make_project()
    secret = make_deploy_token(project)

    principal = authenticate_request(_request(Authorization=basic_auth(username, secret)))

    assert principal.kind is PrincipalKind.DEPLOY_TOKEN
    assert principal.deploy_token.project == project
    assert principal.deploy_token.last_used_at is not None


@pytest.mark.parametrize("header", ["DEPLOY-TOKEN", "Authorization"])
def test_deploy_token_in_a_header_authenticates(header):
    secret = make_deploy_token(make_project())
    value = f"Bearer {secret}" if header == "Authorization" else secret

    principal = authenticate_request(_request(**{header: value}))

    assert principal.kind is PrincipalKind.DEPLOY_TOKEN


def test_revoked_or_expired_deploy_token_in_basic_auth_is_anonymous():
    project = make_project()
    revoked = make_deploy_token(project)
    expired = make_deploy_token(project)
    tokens = list(project.deploy_tokens.order_by("pk"))
    token_revoke(token=tokens[0])
    tokens[1].expires_at = datetime.datetime(2020, 1, 1, tzinfo=datetime.UTC)
    tokens[1].save()

    for secret in (revoked, expired):
        assert authenticate_request(_request(Authorization=basic_auth("d", secret))).is_anonymous


def test_job_token_with_the_ci_username_acts_as_the_jobs_user(user):
    project = make_project()
    secret = make_job_token(project, user)

    principal = authenticate_request(_request(Authorization=basic_auth("gitlab-ci-token", secret)))

    assert principal.kind is PrincipalKind.JOB
    assert principal.user == user
    assert principal.job.project == project


def test_job_token_header_authenticates(user):
    secret = make_job_token(make_project(), user)

    assert authenticate_request(_request(**{"JOB-TOKEN": secret})).kind is PrincipalKind.JOB


def test_wrong_job_token_with_the_ci_username_is_a_401():
    with pytest.raises(InvalidToken):
        authenticate_request(_request(Authorization=basic_auth("gitlab-ci-token", "bar")))


def test_job_token_with_another_username_is_anonymous(user):
    secret = make_job_token(make_project(), user)

    assert authenticate_request(_request(Authorization=basic_auth("foo", secret))).is_anonymous


def test_job_token_stops_working_when_the_job_finishes(user):
    secret = make_job_token(make_project(), user)
    ci_job_finish(job=CiJob.objects.get())

    with pytest.raises(InvalidToken):
        authenticate_request(_request(Authorization=basic_auth("gitlab-ci-token", secret)))


def test_signed_in_session_user_is_the_principal_when_no_token_is_sent(user, settings):
    request = _request()
    request.COOKIES[settings.SESSION_COOKIE_NAME] = "session-id"
    request.user = user

    assert authenticate_request(request).user == user


def test_no_credentials_is_anonymous():
    assert authenticate_request(_request()).is_anonymous


def test_malformed_basic_header_is_anonymous():
    assert authenticate_request(_request(Authorization="Basic %%%not-base64")).is_anonymous


def test_last_used_at_is_recorded(user):
    secret = make_pat(user)

    authenticate_request(_request(**{"PRIVATE-TOKEN": secret}))

    assert PersonalAccessToken.objects.get().last_used_at is not None


class _WhoAmI(APIView):
    def get(self, request):
        principal = principal_of(request)
        return Response({"kind": principal.kind.value})


@pytest.mark.parametrize(
    ("make_headers", "expected_status", "expected_kind"),
    [
        (lambda: {}, 200, "anonymous"),
        (lambda: {"HTTP_PRIVATE_TOKEN": make_pat(make_user())}, 200, "user"),
        (lambda: {"HTTP_DEPLOY_TOKEN": make_deploy_token(make_project())}, 200, "deploy_token"),
        (lambda: {"HTTP_JOB_TOKEN": make_job_token(make_project(), make_user())}, 200, "job"),
        (lambda: {"HTTP_PRIVATE_TOKEN": "glpat-nope"}, 401, None),
    ],
    ids=["anonymous", "pat", "deploy", "job", "bad"],
)
def test_drf_views_get_the_same_principal(make_headers, expected_status, expected_kind):
    request = APIRequestFactory().get("/api/v4/whoami", **make_headers())

    response = _WhoAmI.as_view()(request)

    assert response.status_code == expected_status
    if expected_kind:
        assert response.data == {"kind": expected_kind}
    else:
        assert response["WWW-Authenticate"].startswith("Bearer")
