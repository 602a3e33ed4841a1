"""Content-Security-Policy and cookie flags (issue 9, finding 9)."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.test import Client

from tests.factories import make_project, make_user

pytestmark = pytest.mark.django_db

REPO = Path(__file__).resolve().parents[3]


@pytest.mark.parametrize("path", ["/", "/users/sign_in", "/admin/login/"])
def test_pages_forbid_inline_and_foreign_scripts(client, path):
    policy = client.get(path)["Content-Security-Policy"]

    directives = dict(part.strip().split(" ", 1) for part in policy.split(";"))
    assert directives["script-src"] == "'self'"
    assert directives["style-src"] == "'self'"
    assert directives["object-src"] == "'none'"
    assert directives["frame-ancestors"] == "'self'"
    assert "unsafe-inline" not in policy


def test_no_template_has_inline_script_or_style():
    """What the policy would block: the pages keep working because nothing is inline."""
    for template in (REPO / "templates").rglob("*.html"):
        text = template.read_text()
        assert "<style" not in text, template
        assert " style=" not in text, template
        assert "<script>" not in text and " onclick=" not in text, template


def test_the_api_is_left_out_of_the_policy(client):
    project = make_project()
    response = client.get(f"/api/v4/projects/{project.pk}/packages/pypi/simple")
    assert response.status_code == 200
    assert "Content-Security-Policy" not in response


def test_the_api_does_not_even_build_the_policy(client, monkeypatch):
    """django-csp builds both policies before it looks at the excluded prefixes; ours skips
    /api/ before that (issue 14: about a tenth of a cached index page's time)."""
    import csp.middleware

    def refuse(**_):
        raise AssertionError("a policy was built for /api/")

    monkeypatch.setattr(csp.middleware, "build_policy", refuse)
    project = make_project()

    assert client.get(f"/api/v4/projects/{project.pk}/packages/pypi/simple").status_code == 200
    with pytest.raises(AssertionError, match="a policy was built"):
        client.get("/users/sign_in")


def test_cookies_are_secure_over_https():
    response = Client().get("/users/sign_in", secure=True)

    cookie = response.cookies["csrftoken"]
    assert cookie["secure"] is True
    assert cookie["samesite"] == "Lax"


def test_cookies_over_plain_http_are_not_secure_by_default():
    response = Client().get("/users/sign_in")

    assert not response.cookies["csrftoken"]["secure"]


def test_the_session_cookie_is_secure_httponly_and_lax_over_https():
    make_user("ann", password="correct horse battery")
    response = Client().post(
        "/users/sign_in", {"username": "ann", "password": "correct horse battery"}, secure=True
    )

    session = response.cookies["sessionid"]
    assert session["secure"] is True
    assert session["httponly"] is True
    assert session["samesite"] == "Lax"


def _settings_with(**env: str) -> list[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("DJANGO_")}
    code = (
        "from django.conf import settings; "
        "print(settings.SESSION_COOKIE_SECURE, settings.CSRF_COOKIE_SECURE)"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, check=True,
        env=clean | {"DJANGO_SETTINGS_MODULE": "registry.settings",
                     "DJANGO_SECRET_KEY": "x" * 50} | env,
    )
    return result.stdout.split()


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        ({}, ["False", "False"]),
        ({"DJANGO_SECURE_PROXY_SSL_HEADER": "true"}, ["True", "True"]),
        ({"DJANGO_SECURE_COOKIES": "true"}, ["True", "True"]),
        ({"DJANGO_SECURE_PROXY_SSL_HEADER": "true", "DJANGO_SECURE_COOKIES": "false"},
         ["False", "False"]),
    ],
)
def test_secure_cookie_settings_follow_the_environment(env, expected, tmp_path):
    assert _settings_with(REGISTRY_DATA_DIR=str(tmp_path), **env) == expected
