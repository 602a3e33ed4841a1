"""An admin's day with real clients only: python-gitlab sets up, twine publishes, pip installs.

Nothing is created through the ORM: every step is what a user would type (spec
gitlab-api-v4.md §7, steps 1-11, with real uploads in step 7).
"""

import secrets

import pytest

from tests.acceptance.clients import pip_install, twine_upload, with_credentials
from tests.builders import build_sdist, build_wheel, write_distribution

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]


def test_set_up_with_python_gitlab_publish_with_twine_install_delete_and_publish_again(
    admin_gl, url, tmp_path
):
    group = admin_gl.groups.create({"name": "Team", "path": "team", "visibility": "private"})
    sub = admin_gl.groups.create({"name": "Libs", "path": "libs", "parent_id": group.id})
    project = admin_gl.projects.create(
        {"name": "tools", "namespace_id": sub.id, "visibility": "private"}
    )
    writer = project.deploytokens.create({"name": "ci", "scopes": ["write_package_registry"]})
    reader = group.deploytokens.create({"name": "pull", "scopes": ["read_package_registry"]})
    name = f"team-widget-{secrets.token_hex(4)}"
    files = [write_distribution(tmp_path, *build(name, "1.0.0"))
             for build in (build_wheel, build_sdist)]
    upload_url = f"{url}/api/v4/projects/team%2Flibs%2Ftools/packages/pypi"
    group_index = with_credentials(
        f"{url}/api/v4/groups/team/-/packages/pypi/simple", reader.username, reader.token
    )

    published = twine_upload(upload_url, files, writer.username, writer.token)
    packages = project.packages.list(get_all=True, package_type="pypi")
    package_files = packages[0].package_files.list(get_all=True)
    in_group = group.packages.list(get_all=True)
    installed = pip_install(group_index, tmp_path / "site", name)

    assert published.returncode == 0, published.stdout + published.stderr
    assert [(p.name, p.version, p.status) for p in packages] == [(name, "1.0.0", "default")]
    assert sorted(f.file_name for f in package_files) == sorted(f.name for f in files)
    assert [(p.project_id, p.project_path) for p in in_group] == [(project.id, "team/libs/tools")]
    assert installed.returncode == 0, installed.stdout + installed.stderr

    project.packages.delete(packages[0].id)
    gone = pip_install(group_index, tmp_path / "again", f"{name}==1.0.0")
    republished = twine_upload(upload_url, files, writer.username, writer.token)
    project.deploytokens.delete(writer.id)
    revoked = twine_upload(upload_url, files, writer.username, writer.token)

    assert gone.returncode != 0
    assert republished.returncode == 0, republished.stdout + republished.stderr
    assert revoked.returncode != 0 and "401" in revoked.stdout + revoked.stderr
