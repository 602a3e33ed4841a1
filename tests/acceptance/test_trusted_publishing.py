"""Trusted publishing with the real clients: `uv publish --trusted-publishing always` in a
simulated GitHub Actions job and a simulated GitLab CI job, and the curl-style mint followed
by twine; then pip installs what they published.

uv calls /_/oidc/audience and /_/oidc/mint-token over https at the publish URL's host, so the
registry runs under gunicorn with a certificate made here, and the clients trust its CA
(SSL_CERT_FILE for uv, --cert for pip and twine). The OIDC issuer is a stand-in on 127.0.0.1.
"""

import secrets
import subprocess
import sys

import pytest
import requests

from tests.acceptance.clients import BIN, pip_install, run, twine_upload, with_credentials
from tests.acceptance.servers import REPO, gunicorn_instances, instance_env
from tests.builders import build_sdist, build_wheel, write_distribution
from tests.fakes.oidc_issuer import FakeIssuer, github_claims, gitlab_claims
from tests.fakes.tls import make_certificates

pytestmark = pytest.mark.slow

AUDIENCE = "registry-test"
SETUP = """
import os
from auth_tokens.services import trusted_publisher_create
from projects.roles import AccessLevel, Visibility
from projects.services import member_add
from tests.factories import make_pat, make_project, make_user
project = make_project("app", visibility=Visibility.PRIVATE)
user = make_user("maintainer")
member_add(subject=project, user=user, access_level=AccessLevel.MAINTAINER)
issuer = os.environ["REGISTRY_OIDC_ISSUERS"]
trusted_publisher_create(project=project, provider="github", issuer=issuer,
                         claims={"repository": "octo/app", "workflow": "release.yml"})
trusted_publisher_create(project=project, provider="gitlab", issuer=issuer,
                         claims={"project_path": "acme/app", "environment": "release"})
other = make_project("other", visibility=Visibility.PRIVATE)
print(project.pk, other.pk, make_pat(user))
"""


@pytest.fixture(scope="module")
def issuer():
    with FakeIssuer(ci_claims=github_claims()) as running:
        yield running


@pytest.fixture(scope="module")
def registry(tmp_path_factory, issuer):
    """The registry over https; yields (base URL, CA file, project ids, a maintainer's PAT)."""
    folder = tmp_path_factory.mktemp("trusted-publishing")
    ca, certificate, key = make_certificates(folder)
    env = instance_env(f"sqlite:///{folder / 'db.sqlite3'}", {}, folder) | {
        "REGISTRY_OIDC_ISSUERS": issuer.url, "REGISTRY_OIDC_AUDIENCE": AUDIENCE,
    }
    manage = [sys.executable, "manage.py"]
    subprocess.run([*manage, "migrate", "--noinput", "-v", "0"], cwd=REPO, env=env, check=True)
    setup = subprocess.run([*manage, "shell", "-c", SETUP], cwd=REPO, env=env, check=True,
                           capture_output=True, text=True)
    project_id, other_id, pat = setup.stdout.split()[-3:]
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("REQUESTS_CA_BUNDLE", str(ca))  # the readiness wait, and this test's calls
        with gunicorn_instances(1, env, folder, tls=(certificate, key)) as (instance,):
            yield {"url": instance.url, "ca": ca, "project": project_id, "other": other_id,
                   "pat": pat}


def publish_url(registry, project=None):
    return f"{registry['url']}/api/v4/projects/{project or registry['project']}/packages/pypi"


def distributions(tmp_path, name):
    return [write_distribution(tmp_path, *build(name, "1.0.0", summary="Published from CI"))
            for build in (build_wheel, build_sdist)]


def unique_name(prefix):
    return f"{prefix}-{secrets.token_hex(4)}"


def uv_trusted_publish(registry, files, url=None, **ci_env):
    return run([str(BIN / "uv"), "publish", "--trusted-publishing", "always",
                "--publish-url", url or publish_url(registry), *map(str, files)],
               SSL_CERT_FILE=str(registry["ca"]), **ci_env)


def github_env(issuer):
    return {
        "GITHUB_ACTIONS": "true",
        # GitHub's URL carries a query already; uv adds `&audience=`.
        "ACTIONS_ID_TOKEN_REQUEST_URL": f"{issuer.url}/token?api-version=2.0",
        "ACTIONS_ID_TOKEN_REQUEST_TOKEN": issuer.request_token,
    }


def assert_installs(registry, tmp_path, name):
    index = with_credentials(f"{publish_url(registry)}/simple", "maintainer", registry["pat"])
    target = tmp_path / "target"
    installed = pip_install(index, target, "--cert", str(registry["ca"]), name)
    assert installed.returncode == 0, installed.stdout + installed.stderr
    assert (target / name.replace("-", "_") / "__init__.py").exists()


def test_uv_publishes_from_a_github_actions_job_and_pip_installs_it(registry, issuer, tmp_path):
    name = unique_name("gha-widget")
    asked = len(issuer.requests)

    published = uv_trusted_publish(registry, distributions(tmp_path, name), **github_env(issuer))

    assert published.returncode == 0, published.stdout + published.stderr
    # uv asked our audience, then the job's token endpoint for a token with it.
    assert f"/token?api-version=2.0&audience={AUDIENCE}" in issuer.requests[asked:]
    assert "::add-mask::pypi-tp-" in published.stdout + published.stderr
    assert_installs(registry, tmp_path, name)


def test_uv_publishes_from_a_gitlab_ci_job_and_pip_installs_it(registry, issuer, tmp_path):
    name = unique_name("glci-widget")
    claims = {**gitlab_claims("acme/app"), "environment": "release", "repository": None}
    id_token = issuer.token(aud=AUDIENCE, **claims)

    # uv reads the ID token from <AUDIENCE>_ID_TOKEN, as `.gitlab-ci.yml` `id_tokens:` sets it.
    published = uv_trusted_publish(registry, distributions(tmp_path, name), GITLAB_CI="true",
                                   REGISTRY_TEST_ID_TOKEN=id_token)

    assert published.returncode == 0, published.stdout + published.stderr
    assert_installs(registry, tmp_path, name)


def test_a_curl_style_mint_then_twine_upload(registry, issuer, tmp_path):
    name = unique_name("twine-widget")
    audience = requests.get(f"{registry['url']}/_/oidc/audience", timeout=30).json()["audience"]
    minted = requests.post(f"{registry['url']}/_/oidc/mint-token", timeout=30,
                           data=f'{{"token": "{issuer.token(aud=audience)}"}}')
    assert minted.status_code == 200, minted.text

    uploaded = twine_upload(publish_url(registry), distributions(tmp_path, name), "__token__",
                            minted.json()["token"], "--cert", str(registry["ca"]))

    assert uploaded.returncode == 0, uploaded.stdout + uploaded.stderr
    assert_installs(registry, tmp_path, name)


def test_uv_shows_why_a_job_was_refused_and_nothing_is_published(registry, issuer, tmp_path):
    name = unique_name("refused-widget")
    issuer.ci_claims = github_claims(repository="mallory/app")
    try:
        published = uv_trusted_publish(registry, distributions(tmp_path, name),
                                       **github_env(issuer))
    finally:
        issuer.ci_claims = github_claims()

    # uv wraps its message to the terminal's width: compare with the line breaks undone.
    output = " ".join((published.stdout + published.stderr).split())
    assert published.returncode != 0
    assert "422" in output
    assert "no publisher with matching claims was found for repository 'mallory/app'" in output
    packages = requests.get(
        f"{registry['url']}/api/v4/projects/{registry['project']}/packages",
        params={"package_name": name}, headers={"PRIVATE-TOKEN": registry["pat"]}, timeout=30,
    )
    assert packages.status_code == 200
    assert packages.json() == []


def test_a_minted_token_cannot_publish_to_another_project(registry, issuer, tmp_path):
    minted = requests.post(f"{registry['url']}/_/oidc/mint-token", timeout=30,
                           json={"token": issuer.token(aud=AUDIENCE)}).json()["token"]

    uploaded = twine_upload(publish_url(registry, registry["other"]),
                            distributions(tmp_path, unique_name("elsewhere")), "__token__",
                            minted, "--cert", str(registry["ca"]))

    assert uploaded.returncode != 0
    assert "404" in uploaded.stdout + uploaded.stderr
