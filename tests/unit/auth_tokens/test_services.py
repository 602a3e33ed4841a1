"""Issuing, finding, expiring and revoking tokens; secrets only ever as digests."""

import datetime

import pytest
from django.db import connection

from auth_tokens import tokens
from auth_tokens.models import CiJob, DeployToken, PersonalAccessToken
from auth_tokens.services import (
    ci_job_find,
    ci_job_finish,
    deploy_token_find,
    deploy_token_issue,
    personal_access_token_find,
    personal_access_token_issue,
    personal_access_token_rotate,
    token_revoke,
)
from registry.http.exceptions import BadRequest
from tests.factories import make_group, make_job_token, make_project, make_user

pytestmark = pytest.mark.django_db


def _all_stored_text() -> str:
    """Every token table's rows as text, to prove a secret is nowhere in the database."""
    with connection.cursor() as cursor:
        dump = []
        for model in (PersonalAccessToken, DeployToken, CiJob):
            cursor.execute(f"SELECT * FROM {model._meta.db_table}")
            dump.extend(str(row) for row in cursor.fetchall())
    return "\n".join(dump)


def test_pat_secret_has_the_gitlab_prefix_and_is_stored_only_as_a_digest():
    token, secret = personal_access_token_issue(user=make_user(), name="ci", scopes=["api"])

    assert secret.startswith("glpat-")
    assert len(secret) >= 32
    assert token.token_digest == tokens.digest(secret)
    assert token.token_prefix == secret[:10]
    assert secret not in _all_stored_text()
    assert personal_access_token_find(secret) == token


def test_two_tokens_never_share_a_secret():
    user = make_user()
    secrets = {
        personal_access_token_issue(user=user, name="t", scopes=["api"])[1] for _ in range(20)
    }

    assert len(secrets) == 20


@pytest.mark.parametrize("scopes", [[], ["api", "write_everything"], ["read_package_registry"]])
def test_pat_with_unknown_scopes_is_refused(scopes):
    with pytest.raises(BadRequest, match="scopes does not have a valid value"):
        personal_access_token_issue(user=make_user(), name="t", scopes=scopes)


def test_pat_expires_at_the_start_of_its_expiry_date():
    today = datetime.date.today()
    token, _ = personal_access_token_issue(
        user=make_user(), name="t", scopes=["api"], expires_at=today
    )
    later, _ = personal_access_token_issue(
        user=make_user(), name="t", scopes=["api"], expires_at=today + datetime.timedelta(days=1)
    )

    assert token.is_expired and not token.active
    assert not later.is_expired and later.active


def test_revoked_pat_keeps_its_row():
    token, secret = personal_access_token_issue(user=make_user(), name="t", scopes=["api"])

    token_revoke(token=token)

    found = personal_access_token_find(secret)
    assert found.revoked
    assert not found.active


def test_rotate_revokes_the_old_token_and_keeps_name_and_scopes():
    token, old_secret = personal_access_token_issue(
        user=make_user(), name="t", scopes=["read_api"]
    )

    new_token, new_secret = personal_access_token_rotate(token=token)

    assert personal_access_token_find(old_secret).revoked
    assert new_secret != old_secret
    assert (new_token.name, new_token.scopes, new_token.revoked) == ("t", ["read_api"], False)


def test_deploy_token_gets_gitlabs_default_username():
    token, secret = deploy_token_issue(
        owner=make_project(), name="d", scopes=["read_package_registry"]
    )

    assert token.username == f"gitlab+deploy-token-{token.pk}"
    assert secret.startswith("gldt-")
    assert secret not in _all_stored_text()


def test_group_deploy_token_belongs_to_the_group_only():
    group = make_group()
    token, _ = deploy_token_issue(
        owner=group, name="d", scopes=["write_package_registry"], username="bot"
    )

    assert (token.group, token.project, token.username) == (group, None, "bot")


def test_revoked_and_expired_deploy_tokens_are_not_found():
    project = make_project()
    revoked, revoked_secret = deploy_token_issue(
        owner=project, name="a", scopes=["read_package_registry"]
    )
    _, expired_secret = deploy_token_issue(
        owner=project, name="b", scopes=["read_package_registry"],
        expires_at=datetime.datetime(2020, 1, 1, tzinfo=datetime.UTC),
    )
    token_revoke(token=revoked)

    assert deploy_token_find(revoked_secret) is None
    assert deploy_token_find(expired_secret) is None


def test_deploy_token_scopes_are_checked():
    with pytest.raises(BadRequest):
        deploy_token_issue(owner=make_project(), name="d", scopes=["api"])


def test_job_token_works_only_while_the_job_runs():
    secret = make_job_token(make_project(), make_user())
    job = ci_job_find(secret)
    assert job is not None and job.running

    ci_job_finish(job=job, status=CiJob.Status.FAILED)

    assert ci_job_find(secret) is None
    assert CiJob.objects.get().finished_at is not None


def test_a_job_cannot_be_finished_as_running():
    secret = make_job_token(make_project(), make_user())

    with pytest.raises(BadRequest):
        ci_job_finish(job=ci_job_find(secret), status=CiJob.Status.RUNNING)


def test_find_compares_in_constant_time(monkeypatch):
    calls = []
    original = tokens.matches
    monkeypatch.setattr(tokens, "matches", lambda s, d: calls.append(1) or original(s, d))
    _, secret = personal_access_token_issue(user=make_user(), name="t", scopes=["api"])

    assert personal_access_token_find(secret) is not None
    assert calls == [1]
