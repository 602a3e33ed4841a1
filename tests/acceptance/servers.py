"""A driver for several registry instances under gunicorn sharing one database and one S3."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import requests

from tests.live import free_port, wait_for

REPO = Path(__file__).resolve().parents[2]
# Variables of the developer's shell that must not leak into the instances.
_UNWANTED_PREFIXES = ("DATABASE_", "REGISTRY_", "DJANGO_", "GUNICORN_", "AWS_", "PIP_")


@dataclass
class Instance:
    """One gunicorn instance of the registry, and an admin browser session on it."""

    url: str
    process: subprocess.Popen
    session: requests.Session = field(default_factory=requests.Session)

    def get(self, path: str, **kwargs: object) -> requests.Response:
        return self.session.get(f"{self.url}{path}", timeout=30, **kwargs)

    def sign_in(self, username: str, password: str) -> None:
        """Sign in to the admin, as a browser does."""
        token = self.csrf_token("/admin/login/")
        response = self.session.post(
            f"{self.url}/admin/login/?next=/admin/",
            data={"csrfmiddlewaretoken": token, "username": username, "password": password},
            headers={"Referer": f"{self.url}/admin/login/"}, timeout=30,
        )
        assert "Site administration" in response.text, response.text[:500]

    def submit(self, path: str, data: dict[str, str]) -> requests.Response:
        """POST an admin form with its CSRF token."""
        token = self.csrf_token(path)
        return self.session.post(
            f"{self.url}{path}", data={"csrfmiddlewaretoken": token, **data},
            headers={"Referer": f"{self.url}{path}"}, timeout=30,
        )

    def csrf_token(self, path: str) -> str:
        page = self.get(path)
        return re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text).group(1)


def instance_env(database_url: str, storage_env: dict[str, str], data_dir: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(_UNWANTED_PREFIXES)}
    return env | storage_env | {
        "DATABASE_URL": database_url,
        "DJANGO_SECRET_KEY": "shared-by-every-instance-" + "x" * 40,
        "REGISTRY_DATA_DIR": str(data_dir),
        "GUNICORN_WORKERS": "1",
        "GUNICORN_THREADS": "4",
        "GUNICORN_ACCESS_LOG": "",
    }


@contextmanager
def gunicorn_instances(
    count: int, env: dict[str, str], tmp_path: Path, tls: tuple[Path, Path] | None = None
) -> Iterator[list[Instance]]:
    """Start `count` instances, each with its own port and data folder, and stop them after.

    `tls` (certificate file, key file) serves https; the caller makes requests trust it.
    """
    with ExitStack() as stack:
        instances = [
            stack.enter_context(_gunicorn(env, tmp_path / f"instance{index}", tls))
            for index in range(count)
        ]
        for instance in instances:
            wait_for(f"{instance.url}/-/health", instance.process, timeout=60)
        yield instances


@contextmanager
def _gunicorn(
    env: dict[str, str], data_dir: Path, tls: tuple[Path, Path] | None = None
) -> Iterator[Instance]:
    port = free_port()
    data_dir.mkdir(parents=True)
    env = env | {"PORT": str(port), "REGISTRY_DATA_DIR": str(data_dir)}
    tls_args = ["--certfile", str(tls[0]), "--keyfile", str(tls[1])] if tls else []
    with (data_dir / "gunicorn.log").open("w") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "registry.wsgi", "--config", "gunicorn.conf.py",
             *tls_args],
            cwd=REPO, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
        )
        scheme = "https" if tls else "http"
        instance = Instance(url=f"{scheme}://127.0.0.1:{port}", process=process)
        try:
            yield instance
        finally:
            instance.session.close()
            _stop(process)


def _stop(process: subprocess.Popen) -> None:
    """SIGINT (gunicorn's quick shutdown; SIGTERM waits for idle keep-alives), then SIGKILL:
    a worker thread blocked in a request must not hold the suite for graceful_timeout."""
    if process.poll() is not None:
        return
    os.killpg(process.pid, signal.SIGINT)
    try:
        process.wait(timeout=5)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=10)
