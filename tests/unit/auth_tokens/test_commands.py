"""The operator's management commands print only what a script needs."""

import io

import pytest
from django.core.management import CommandError, call_command

from auth_tokens.models import CiJob, PersonalAccessToken
from auth_tokens.services import ci_job_find, personal_access_token_find
from projects.models import User
from tests.factories import make_project, make_user

pytestmark = pytest.mark.django_db


def _run(*args: str) -> str:
    out = io.StringIO()
    call_command(*args, stdout=out, stderr=io.StringIO())
    return out.getvalue()


def test_create_personal_access_token_prints_only_the_token():
    user = make_user("alice")

    output = _run(
        "create_personal_access_token", "alice", "--name", "ci", "--scopes", "api,read_api",
        "--expires-at", "2099-01-31",
    )

    secret = output.strip()
    assert output == f"{secret}\n"
    token = personal_access_token_find(secret)
    assert (token.user, token.name, token.scopes) == (user, "ci", ["api", "read_api"])
    assert str(token.expires_at) == "2099-01-31"


def test_create_personal_access_token_refuses_unknown_users_and_scopes():
    make_user("alice")

    with pytest.raises(CommandError, match="no user"):
        _run("create_personal_access_token", "bob", "--name", "x")
    with pytest.raises(CommandError, match="scopes"):
        _run("create_personal_access_token", "alice", "--name", "x", "--scopes", "god_mode")
    assert not PersonalAccessToken.objects.exists()


@pytest.mark.parametrize("ref", ["path", "id"])
def test_create_ci_job_token_starts_a_job_and_finish_ends_it(ref):
    project = make_project()
    user = make_user("runner")
    project_ref = project.full_path if ref == "path" else str(project.pk)

    secret = _run("create_ci_job_token", project_ref, "--user", "runner").strip()

    job = ci_job_find(secret)
    assert (job.project, job.user, job.status) == (project, user, "running")
    _run("finish_ci_job", str(job.pk))
    assert ci_job_find(secret) is None
    assert CiJob.objects.get().status == "success"


def test_ensure_root_creates_root_once_with_a_printed_password(settings):
    settings.REGISTRY_ROOT_PASSWORD = ""

    first = _run("ensure_root")
    second = _run("ensure_root")

    password = first.rsplit(": ", 1)[1].strip()
    root = User.objects.get(username="root")
    assert root.is_admin and root.check_password(password)
    assert second == ""


def test_ensure_root_takes_the_password_from_the_environment(settings):
    settings.REGISTRY_ROOT_PASSWORD = "s3cret-from-env"

    output = _run("ensure_root")

    assert "s3cret-from-env" not in output
    assert User.objects.get(username="root").check_password("s3cret-from-env")


def test_djangos_createsuperuser_works_without_input(monkeypatch):
    monkeypatch.setenv("DJANGO_SUPERUSER_PASSWORD", "pw-for-admin")

    call_command(
        "createsuperuser", "--noinput", "--username", "admin", "--email", "admin@example.com",
        stdout=io.StringIO(),
    )

    admin = User.objects.get(username="admin")
    assert admin.is_admin and admin.check_password("pw-for-admin")
