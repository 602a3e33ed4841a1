"""kill -9 of a worker mid-upload and mid-copy into storage, then registry_check cleans up.

A real gunicorn server, real uploads over HTTP, a real SIGKILL of its worker process. The copy
into storage is made slow (tests/fakes/slow_storage_settings.py) so that the kill lands in
the middle of it, every time.
"""

import http.client
import os
import secrets
import signal
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import urllib3
from django.db import connection

from packages_pypi.upload_temp import UPLOAD_TEMP_PREFIX
from tests.acceptance.servers import REPO, gunicorn_instances, instance_env
from tests.conftest import basic_auth
from tests.pypi_driver import Dist, twine_form, wheel

pytestmark = pytest.mark.slow

SETUP = """
from auth_tokens.services import personal_access_token_issue
from tests.factories import make_project, make_user
project = make_project("tools")
_, pat = personal_access_token_issue(user=make_user("root", is_admin=True), name="t",
                                     scopes=["api"])
print("SETUP", project.pk, pat)
"""
# What the registry_check runs below judge stale: everything, since the leftovers are new.
NOW = ["--grace", "0", "--temp-max-age", "0"]


@pytest.fixture
def database_url(tmp_path):
    """A database of this test's own, migrated: the server, the setup and the checks share it."""
    if connection.vendor == "postgresql":
        settings = connection.settings_dict
        password = f":{settings['PASSWORD']}" if settings["PASSWORD"] else ""
        server = f"postgres://{settings['USER']}{password}@{settings['HOST']}:{settings['PORT']}"
        name = f"crash_{secrets.token_hex(4)}"
        _psql(server, f"CREATE DATABASE {name}")
        yield f"{server}/{name}"
        _psql(server, f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
    else:
        yield f"sqlite:///{tmp_path}/registry.sqlite3"


def _psql(server: str, sql: str) -> None:
    subprocess.run(["psql", f"{server}/postgres", "-qAtc", sql], check=True,
                   capture_output=True, timeout=30)


@pytest.fixture(params=["local", "s3"])
def registry(request, database_url, tmp_path):
    temp_dir = tmp_path / "uploads"
    temp_dir.mkdir()
    storage_env, store = {}, None
    if request.param == "s3":
        s3 = request.getfixturevalue("s3_endpoint")
        bucket = s3.create_bucket()
        # 5 MiB parts (S3's least): the wheel below goes in several parts.
        storage_env = s3.env(bucket) | {"REGISTRY_S3_MULTIPART_CHUNK_MB": "5"}
        store = _Bucket(s3.client(), bucket)
    env = instance_env(database_url, storage_env, tmp_path) | {
        "REGISTRY_UPLOAD_TEMP_DIR": str(temp_dir),
        "GUNICORN_WORKERS": "1",
    }
    setup_env = env | {"REGISTRY_DATA_DIR": str(tmp_path / "setup")}
    _manage(setup_env, "migrate", "--noinput", "-v0")
    output = _manage(setup_env, "shell", "-c", SETUP).stdout
    project_id, pat = output[output.index("SETUP "):].split()[1:3]
    server_env = env | {"DJANGO_SETTINGS_MODULE": "tests.fakes.slow_storage_settings"}
    with gunicorn_instances(1, server_env, tmp_path) as (server,):
        # The server's data folder, which the checks must look at too.
        data_dir = tmp_path / "instance0"
        yield {
            "server": server, "project_id": project_id, "pat": pat, "temp_dir": temp_dir,
            "store": store or _Folder(data_dir / "storage"),
            "env": env | {"REGISTRY_DATA_DIR": str(data_dir)},
        }


class _Folder:
    """Local storage as the test sees it: blobs, and the partial blob a killed copy leaves."""

    leftover = "blobs without a row: 1"

    def __init__(self, root: Path) -> None:
        self.root = root

    def blobs(self) -> list[str]:
        return sorted(str(p) for p in (self.root / "pypi").rglob("*") if p.is_file())

    def copy_started(self) -> bool:
        return any(Path(blob).stat().st_size > 0 for blob in self.blobs())

    def partial(self) -> list[str]:
        return self.blobs()

    def empty_folders(self) -> list[str]:
        return [str(p) for p in (self.root / "pypi").rglob("*") if p.is_dir()
                and not any(p.iterdir())]


class _Bucket:
    """S3 as the test sees it: objects, and the unfinished multipart upload a killed copy
    leaves (S3 shows no object until the upload completes)."""

    leftover = "unfinished multipart uploads: 1"

    def __init__(self, client, bucket: str) -> None:
        self.client, self.bucket = client, bucket

    def blobs(self) -> list[str]:
        listing = self.client.list_objects_v2(Bucket=self.bucket)
        return sorted(item["Key"] for item in listing.get("Contents", []))

    def partial(self) -> list[str]:
        uploads = self.client.list_multipart_uploads(Bucket=self.bucket).get("Uploads", [])
        return [upload["UploadId"] for upload in uploads]

    def copy_started(self) -> bool:
        uploads = self.client.list_multipart_uploads(Bucket=self.bucket).get("Uploads", [])
        return any(
            self.client.list_parts(Bucket=self.bucket, Key=u["Key"], UploadId=u["UploadId"])
            .get("Parts") for u in uploads
        )

    def empty_folders(self) -> list[str]:
        return []


def _manage(env: dict[str, str], *args: str, check: bool = True) -> subprocess.CompletedProcess:
    done = subprocess.run([sys.executable, "manage.py", *args], cwd=REPO, env=env,
                          capture_output=True, text=True, timeout=120, check=False)
    assert not check or done.returncode == 0, done.stdout + done.stderr
    return done


def _body(dist: Dist) -> tuple[bytes, str]:
    form = twine_form(dist, "crash-lib", "1.0")
    form["content"] = (dist.filename, dist.data, "application/octet-stream")
    return urllib3.encode_multipart_formdata(form)


def _send(registry: dict, body: bytes, sent: int) -> http.client.HTTPConnection:
    """Start an upload and send its first `sent` bytes (of a Content-Length of all of them)."""
    url = urlsplit(registry["server"].url)
    upload = http.client.HTTPConnection(url.hostname, url.port, timeout=60)
    upload.putrequest("POST", f"/api/v4/projects/{registry['project_id']}/packages/pypi")
    upload.putheader("Authorization", basic_auth("x", registry["pat"]))
    upload.putheader("Content-Type", body[1])
    upload.putheader("Content-Length", str(len(body[0])))
    upload.endheaders()
    upload.send(body[0][:sent])
    return upload


def _wait_until(condition, what: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"{what} did not happen within {timeout}s"
        time.sleep(0.02)


def _kill_worker(server) -> None:
    """SIGKILL the master's worker, and wait for the master to start a new one."""
    workers = [int(stat.split()[0]) for stat in _proc_stats() if int(stat.split()[3]) ==
               server.process.pid]
    assert len(workers) == 1, workers
    os.kill(workers[0], signal.SIGKILL)
    _wait_until(lambda: _alive_after(server, workers[0]), "a new worker")


def _proc_stats() -> list[str]:
    stats = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                # "pid (comm) state ppid ...": comm may hold spaces; cut it out.
                raw = (entry / "stat").read_text()
            except OSError:
                continue
            stats.append(raw[: raw.index(" (")] + " x" + raw[raw.rindex(")") + 1:])
    return stats


def _alive_after(server, killed: int) -> bool:
    try:
        return server.get("/-/health").status_code == 200
    except OSError:
        return False


def _temp_files(registry: dict) -> list[Path]:
    return sorted(registry["temp_dir"].glob(f"{UPLOAD_TEMP_PREFIX}*"))


def test_a_worker_killed_mid_upload_and_mid_copy_leaves_nothing_after_repair(registry):
    store = registry["store"]
    # 1. Killed while receiving a 20 MB upload: 4 MB of it sit in a temporary file.
    big = Dist("crash_lib-1.0-py3-none-any.whl", os.urandom(20 * 1024 * 1024))
    receiving = _send(registry, _body(big), sent=4 * 1024 * 1024)
    _wait_until(lambda: any(p.stat().st_size > 3 * 1024 * 1024 for p in _temp_files(registry)),
                "4 MB received")
    _kill_worker(registry["server"])
    receiving.close()

    # 2. Killed while copying a valid 12 MB wheel into storage: a partial blob, no row.
    copied = wheel("crash-lib", "1.0", payload_size=12 * 1024 * 1024)
    copying = _send(registry, body := _body(copied), sent=len(body[0]))
    _wait_until(store.copy_started, "the copy into storage")
    _kill_worker(registry["server"])
    copying.close()
    partial = store.partial()

    # 3. The server works on: a small upload is stored and recorded.
    storing = _send(registry, body := _body(wheel("crash-lib", "1.0")), sent=len(body[0]))
    stored = storing.getresponse()
    stored_body = stored.read()
    storing.close()

    found = _manage(registry["env"], "registry_check", *NOW, check=False)
    repaired = _manage(registry["env"], "registry_check", "--repair", *NOW, check=False)
    again = _manage(registry["env"], "registry_check", *NOW, check=False)

    assert stored.status == 201, stored_body
    assert len(partial) == 1
    assert found.returncode == 1, found.stdout + found.stderr
    assert store.leftover in found.stdout, found.stdout
    assert "stale temporary uploads: 2" in found.stdout, found.stdout
    assert repaired.returncode == 0, repaired.stdout + repaired.stderr
    assert again.returncode == 0, again.stdout + again.stderr
    assert "registry_check: consistent" in again.stdout
    assert _temp_files(registry) == []
    assert not set(partial) & set(store.partial()), "the partial blob is gone"
    assert len(store.blobs()) == 1, "the stored upload's blob stays"
    assert store.empty_folders() == [], "the partial blob's folder went with it"
