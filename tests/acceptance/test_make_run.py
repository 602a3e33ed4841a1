"""A newcomer's first command: `make run` serves a working registry with an admin."""

import contextlib
import json
import os
import re
import signal
import socket
import subprocess
import time
from pathlib import Path

import pytest
import requests

REPO = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for(url: str, process: subprocess.Popen, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"server exited with {process.returncode}")
        try:
            requests.get(url, timeout=5)
            return
        except requests.RequestException:  # not listening yet, or workers still booting
            time.sleep(0.3)
    raise AssertionError(f"{url} did not answer within {timeout}s")


@pytest.mark.slow
def test_make_run_serves_pages_and_creates_root(tmp_path):
    port = free_port()
    unwanted = {"DATABASE_URL", "REGISTRY_ROOT_PASSWORD"}
    env = {k: v for k, v in os.environ.items() if k not in unwanted}
    env |= {"PORT": str(port), "REGISTRY_DATA_DIR": str(tmp_path / "data"), "GUNICORN_WORKERS": "2"}
    with (tmp_path / "run.log").open("w+") as log:
        _exercise(tmp_path, port, env, log)


def _exercise(tmp_path, port, env, log):
    process = subprocess.Popen(
        ["make", "run"], cwd=REPO, env=env, stdout=log, stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        base = f"http://127.0.0.1:{port}"
        wait_for(f"{base}/-/health", process)

        home = requests.get(f"{base}/", timeout=10)
        css = requests.get(f"{base}/static/registry.css", timeout=10)
        log.seek(0)
        password = re.search(r"admin user 'root' with password: (\S+)", log.read()).group(1)
        session = requests.Session()
        login_page = session.get(f"{base}/admin/login/", timeout=10)
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', login_page.text).group(1)
        signed_in = session.post(
            f"{base}/admin/login/?next=/admin/",
            data={"csrfmiddlewaretoken": token, "username": "root", "password": password},
            headers={"Referer": f"{base}/admin/login/"}, timeout=10,
        )
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=30)

    assert home.status_code == 200 and "PyPI registry" in home.text
    assert css.status_code == 200 and "topbar" in css.text
    assert signed_in.status_code == 200
    assert "Site administration" in signed_in.text
    assert (tmp_path / "data" / "registry.sqlite3").exists()
    assert (tmp_path / "data" / "secret_key").stat().st_mode & 0o077 == 0


@pytest.mark.slow
def test_two_instances_on_one_machine_each_have_their_own_control_socket(tmp_path):
    # One HOME for both: gunicorn's default socket, ~/.gunicorn/gunicorn.ctl, would be shared.
    home = tmp_path / "home"
    home.mkdir()
    unwanted = {"DATABASE_URL", "REGISTRY_ROOT_PASSWORD", "GUNICORN_CONTROL_SOCKET",
                "XDG_RUNTIME_DIR"}
    env = {k: v for k, v in os.environ.items() if k not in unwanted}
    env |= {"HOME": str(home), "GUNICORN_WORKERS": "1", "GUNICORN_ACCESS_LOG": ""}
    processes: dict[str, subprocess.Popen] = {}
    with contextlib.ExitStack() as logs:
        try:
            for name in ("one", "two"):
                port = free_port()
                log = logs.enter_context((tmp_path / f"{name}.log").open("w"))
                processes[name] = subprocess.Popen(
                    ["make", "run"], cwd=REPO, stdout=log, stderr=subprocess.STDOUT,
                    env=env | {"PORT": str(port), "REGISTRY_DATA_DIR": str(tmp_path / name)},
                    start_new_session=True,
                )
                wait_for(f"http://127.0.0.1:{port}/-/health", processes[name])
            for name, process in processes.items():
                socket_path = tmp_path / name / "gunicorn.ctl"
                assert socket_path.is_socket()
                # Each socket answers for its own instance: its worker is in that process group.
                workers = _control(socket_path, "show workers")["workers"]
                assert [os.getpgid(w["pid"]) for w in workers] == [process.pid]
            assert not (home / ".gunicorn").exists()
        finally:
            for process in processes.values():
                os.killpg(process.pid, signal.SIGTERM)
            for process in processes.values():
                process.wait(timeout=30)


def _control(socket_path: Path, command: str) -> dict:
    """Ask gunicorn through its control socket, as `gunicornc` does."""
    answer = subprocess.run(
        [str(REPO / ".venv" / "bin" / "gunicornc"), "-s", str(socket_path), "-c", command, "-j"],
        capture_output=True, text=True, timeout=30, check=True,
    )
    return json.loads(answer.stdout)
