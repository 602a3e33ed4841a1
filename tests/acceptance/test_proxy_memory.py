"""A 200 MB upstream file streams through the proxy, into storage and to pip, with the
server's memory flat."""

import hashlib
import secrets
import sys
import tracemalloc

import pytest

from auth_tokens.services import personal_access_token_issue
from packages_pypi.models import UpstreamFile
from projects.roles import Visibility
from tests.acceptance.clients import run, with_credentials
from tests.acceptance.test_memory import ALLOWED_PEAK
from tests.builders import build_wheel
from tests.factories import make_project, make_user
from tests.fakes.upstream import FakeUpstream

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]

FILE_SIZE = 200 * 1024 * 1024


def test_a_200_mb_upstream_file_passes_through_without_the_server_holding_it(
    live_server, tmp_path, settings
):
    project = make_project("tools", visibility=Visibility.PUBLIC)
    _, secret = personal_access_token_issue(
        user=make_user("root", is_admin=True), name="t", scopes=["api"]
    )
    name = f"huge-lib-{secrets.token_hex(4)}"
    filename, data = build_wheel(name, "1.0", payload_size=FILE_SIZE)
    index = with_credentials(
        f"{live_server.url}/api/v4/projects/{project.pk}/packages/pypi/simple", "root", secret
    )
    with FakeUpstream() as upstream:
        settings.REGISTRY_PYPI_UPSTREAM_URL = f"{upstream.url}/simple"
        upstream.add(filename, data)
        assert upstream.files[filename].sha256  # hashed before measuring: the stand-in is here too
        tracemalloc.start()
        try:
            downloaded = run([
                sys.executable, "-m", "pip", "download", "--no-cache-dir", "--no-deps",
                "--index-url", index, "--dest", str(tmp_path / "down"), name,
            ])
            _, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()

    assert downloaded.returncode == 0, downloaded.stdout + downloaded.stderr
    assert hashlib.sha256((tmp_path / "down" / filename).read_bytes()).hexdigest() == (
        hashlib.sha256(data).hexdigest()
    )
    assert UpstreamFile.objects.get().size == len(data)
    assert peak < ALLOWED_PEAK, f"the proxy peaked at {peak / 2**20:.1f} MiB"
