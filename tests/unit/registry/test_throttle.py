"""Throttling of failed authentication: what is counted, per what, and what is never counted.

The live-server journeys (100 wrong passwords, lock and unlock) are in
tests/acceptance/test_throttle.py; here the test client sets other client addresses.
"""

import logging

import pytest
from django.core.cache import cache

from auth_tokens.models import PersonalAccessToken
from auth_tokens.services import token_revoke
from projects.roles import AccessLevel, Visibility
from tests.conftest import basic_auth
from tests.factories import (
    add_member,
    make_group,
    make_job_token,
    make_pat,
    make_project,
    make_user,
)

pytestmark = pytest.mark.django_db

LIMIT = 3
USER_URL = "/api/v4/user"


@pytest.fixture(autouse=True)
def _low_limits(settings):
    settings.REGISTRY_TOKEN_FAILURE_LIMIT = LIMIT
    settings.REGISTRY_TOKEN_FAILURE_WINDOW_SECONDS = 60
    settings.REGISTRY_TOKEN_BAN_SECONDS = 120


@pytest.fixture
def public_index():
    group = make_group(visibility=Visibility.PUBLIC)
    project = make_project(namespace=group, visibility=Visibility.PUBLIC)
    return f"/api/v4/projects/{project.pk}/packages/pypi/simple"


def _unknown(index: int) -> str:
    """Unknown tokens with distinct public parts (`glpat-0001`), so only the address links them."""
    return f"glpat-{index:04d}unknownxxxxxxxxxxxxxxxxxxxxx"


def test_unknown_tokens_from_one_address_lock_that_address_only(client):
    statuses = [
        client.get(USER_URL, HTTP_PRIVATE_TOKEN=_unknown(i), REMOTE_ADDR="192.0.2.1").status_code
        for i in range(LIMIT + 2)
    ]
    elsewhere = client.get(USER_URL, HTTP_PRIVATE_TOKEN=_unknown(99), REMOTE_ADDR="192.0.2.2")

    assert statuses == [401] * (LIMIT - 1) + [429] * 3
    assert elsewhere.status_code == 401


def test_the_locked_answer_is_gitlab_shaped_with_retry_after(client):
    for i in range(LIMIT):
        response = client.get(USER_URL, HTTP_AUTHORIZATION=f"Bearer {_unknown(i)}")

    assert response.status_code == 429
    assert response.json() == {"message": "429 Too Many Requests - Retry later"}
    assert response["Retry-After"] == "120"
    later = client.get(USER_URL, HTTP_PRIVATE_TOKEN=_unknown(7))
    assert later.status_code == 429
    assert 0 < int(later["Retry-After"]) <= 120


def test_a_revoked_token_locks_its_user_from_any_address(client):
    user = make_user()
    secret = make_pat(user)
    token_revoke(token=PersonalAccessToken.objects.get(user=user))

    statuses = [
        client.get(USER_URL, HTTP_PRIVATE_TOKEN=secret, REMOTE_ADDR=f"198.51.100.{i}").status_code
        for i in range(LIMIT + 1)
    ]

    assert statuses == [401] * (LIMIT - 1) + [429] * 2


def test_a_repeated_unknown_token_is_locked_by_its_public_part_across_addresses(client):
    statuses = [
        client.get(USER_URL, HTTP_PRIVATE_TOKEN=_unknown(1), REMOTE_ADDR=f"203.0.113.{i}")
        .status_code
        for i in range(LIMIT)
    ]

    assert statuses == [401] * (LIMIT - 1) + [429]


@pytest.mark.parametrize("kind", ["job header", "job basic", "deploy header"])
def test_bad_job_and_deploy_tokens_count(client, kind):
    headers = {
        "job header": {"HTTP_JOB_TOKEN": "glcbt-not-a-running-job"},
        "job basic": {"HTTP_AUTHORIZATION": basic_auth("gitlab-ci-token", "glcbt-nope")},
        "deploy header": {"HTTP_DEPLOY_TOKEN": "gldt-unknown"},
    }[kind]

    statuses = [client.get(USER_URL, **headers).status_code for _ in range(LIMIT)]

    assert statuses[-1] == 429


def test_token_shaped_basic_passwords_count_but_stay_anonymous_until_locked(client, public_index):
    statuses = [
        client.get(public_index, HTTP_AUTHORIZATION=basic_auth("me", _unknown(i))).status_code
        for i in range(LIMIT)
    ]

    assert statuses == [200] * (LIMIT - 1) + [429]


def test_other_basic_passwords_are_never_counted(client, public_index):
    # pip sends whatever netrc holds; a password that is no token of ours costs nothing.
    statuses = {
        client.get(public_index, HTTP_AUTHORIZATION=basic_auth("me", f"pw{i}")).status_code
        for i in range(LIMIT * 3)
    }

    assert statuses == {200}
    assert not [key for key in cache._cache if "throttle" in key]


def test_successful_token_requests_touch_no_counter_and_pass_a_locked_address(client):
    """The decision: only failures touch the cache; a valid token from a locked address is
    served (tokens have 192 random bits, so the lock has nothing to protect from them)."""
    user = make_user()
    secret = make_pat(user)
    project = make_project(visibility=Visibility.PRIVATE)
    add_member(project, user, AccessLevel.DEVELOPER)
    job = make_job_token(project, user)
    job_index = f"/api/v4/projects/{project.pk}/packages/pypi/simple"

    for _ in range(LIMIT * 5):
        assert client.get(USER_URL, HTTP_PRIVATE_TOKEN=secret).status_code == 200
        assert client.get(job_index, HTTP_JOB_TOKEN=job).status_code == 200
    assert not [key for key in cache._cache if "throttle" in key]
    first_failures = [
        client.get(USER_URL, HTTP_PRIVATE_TOKEN=_unknown(i)).status_code for i in range(LIMIT)
    ]

    assert first_failures == [401] * (LIMIT - 1) + [429]
    assert client.get(USER_URL, HTTP_PRIVATE_TOKEN=secret).status_code == 200


def test_behind_a_trusted_proxy_the_forwarded_address_counts(client, settings):
    settings.REGISTRY_TRUSTED_PROXY_COUNT = 1

    def failure(forwarded_for: str, index: int) -> int:
        return client.get(
            USER_URL, HTTP_PRIVATE_TOKEN=_unknown(index), REMOTE_ADDR="10.9.9.9",
            HTTP_X_FORWARDED_FOR=forwarded_for,
        ).status_code

    # The client's own claim (left of what nginx appended) is ignored.
    locked = [failure(f"192.0.2.{i}, 198.51.100.7", i) for i in range(LIMIT)]
    other_client = failure("198.51.100.8", 50)

    assert locked[-1] == 429
    assert other_client == 401


def test_the_lock_is_logged_with_address_and_public_part_never_the_secret(client, caplog):
    secrets = [_unknown(i) for i in range(LIMIT)]
    with caplog.at_level(logging.INFO, logger="registry.throttle"):
        for secret in secrets:
            client.get(USER_URL, HTTP_PRIVATE_TOKEN=secret, REMOTE_ADDR="192.0.2.77")

    lock = [r for r in caplog.records if r.name == "registry.throttle" and "locked" in r.message]
    assert len(lock) == 1
    assert lock[0].levelno == logging.WARNING
    assert "ip=192.0.2.77" in lock[0].message
    assert "token=glpat-0002" in lock[0].message
    assert not any(secret in record.message for record in caplog.records for secret in secrets)


# Sign-in (django-axes): per address and per username.


@pytest.fixture
def alice():
    user = make_user("alice")
    user.set_password("correct horse battery")
    user.save()
    return user


def _sign_in(client, password: str, address: str, username: str = "alice", path: str = ""):
    return client.post(
        path or "/users/sign_in", {"username": username, "password": password},
        REMOTE_ADDR=address,
    )


def test_a_username_is_locked_whatever_the_address(client, alice, settings, caplog):
    settings.AXES_FAILURE_LIMIT = LIMIT
    with caplog.at_level(logging.INFO):
        for i in range(LIMIT):
            _sign_in(client, f"wrong-{i}", f"192.0.2.{i}")
    assert "AXES: Locking out" in caplog.text
    assert "wrong-" not in caplog.text

    caplog.clear()
    with caplog.at_level(logging.WARNING, logger="registry.throttle"):
        response = _sign_in(client, "correct horse battery", "192.0.2.200")

    assert response.status_code == 429
    assert b"Too many sign-in attempts" in response.content
    assert response["Retry-After"] == "600"
    [line] = [r.message for r in caplog.records if r.name == "registry.throttle"]
    assert line.startswith("sign-in locked: ip=192.0.2.200 username='alice'")
    assert "correct horse" not in caplog.text


def test_an_address_is_locked_whatever_the_username(client, alice, settings):
    settings.AXES_FAILURE_LIMIT = LIMIT
    for i in range(LIMIT):
        _sign_in(client, "wrong", "192.0.2.9", username=f"nobody{i}")

    locked = _sign_in(client, "correct horse battery", "192.0.2.9")
    elsewhere = _sign_in(client, "correct horse battery", "192.0.2.10")

    assert locked.status_code == 429
    assert elsewhere.status_code == 302


def test_the_admin_login_is_throttled_too(client, settings):
    settings.AXES_FAILURE_LIMIT = LIMIT
    admin = make_user("root", is_admin=True)
    admin.set_password("admin password here")
    admin.save()
    for _ in range(LIMIT):
        _sign_in(client, "wrong", "192.0.2.5", username="root", path="/admin/login/")

    response = _sign_in(
        client, "admin password here", "192.0.2.5", username="root", path="/admin/login/"
    )

    assert response.status_code == 429
    assert response["Retry-After"]
