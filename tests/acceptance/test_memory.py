"""Memory stays flat whatever the file size: uploads and downloads stream."""

import secrets
import sys
import tracemalloc

import pytest

from auth_tokens.services import personal_access_token_issue
from projects.roles import Visibility
from tests.acceptance.clients import run, twine_upload, with_credentials
from tests.builders import build_wheel, write_distribution
from tests.factories import make_project, make_user

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]

FILE_SIZE = 64 * 1024 * 1024
# What the first request costs in imports and buffers; it does not grow with the file
# (measured: the same 9.6 MiB for 48 and 96 MiB files).
ALLOWED_PEAK = 16 * 1024 * 1024


def test_a_large_file_goes_up_and_down_without_the_server_holding_it(live_server, tmp_path):
    project = make_project("tools", visibility=Visibility.PUBLIC)
    _, secret = personal_access_token_issue(
        user=make_user("root", is_admin=True), name="t", scopes=["api"]
    )
    name = f"big-lib-{secrets.token_hex(4)}"
    path = write_distribution(tmp_path, *build_wheel(name, "1.0", payload_size=FILE_SIZE))
    base = f"{live_server.url}/api/v4/projects/{project.pk}/packages/pypi"

    # The live server runs in this process: tracemalloc sees what it allocates.
    tracemalloc.start()
    try:
        uploaded = twine_upload(base, [path], "root", secret)
        _, upload_peak = tracemalloc.get_traced_memory()
        tracemalloc.reset_peak()
        downloaded = run([
            sys.executable, "-m", "pip", "download", "--no-cache-dir", "--no-deps",
            "--index-url", with_credentials(f"{base}/simple", "root", secret),
            "--dest", str(tmp_path / "down"), name,
        ])
        _, download_peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()

    assert uploaded.returncode == 0, uploaded.stdout + uploaded.stderr
    assert downloaded.returncode == 0, downloaded.stdout + downloaded.stderr
    assert (tmp_path / "down" / path.name).read_bytes() == path.read_bytes()
    assert upload_peak < ALLOWED_PEAK, f"upload peaked at {upload_peak / 2**20:.1f} MiB"
    assert download_peak < ALLOWED_PEAK, f"download peaked at {download_peak / 2**20:.1f} MiB"
