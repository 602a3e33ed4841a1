"""Run the real twine, pip and uv against a live registry, isolated from this machine's config."""

import os
import subprocess
import sys
from pathlib import Path

BIN = Path(sys.executable).parent
# Variables through which this machine's config would reach a client (PIP_FIND_LINKS, ...).
CLIENT_PREFIXES = ("PIP_", "UV_", "TWINE_", "POETRY_", "PDM_", "HATCH_", "FLIT_")


def isolated_env(**extra: str) -> dict[str, str]:
    """The environment without any client's settings: only our index may answer."""
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(CLIENT_PREFIXES) and key != "VIRTUAL_ENV"
    }
    env |= {"PIP_CONFIG_FILE": "/dev/null", "UV_NO_CONFIG": "1", "UV_NO_CACHE": "1",
            "PIP_DISABLE_PIP_VERSION_CHECK": "1", "PYTHONWARNINGS": "ignore"}
    return env | extra


def run(args: list[str], **extra_env: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        args, capture_output=True, text=True, env=isolated_env(**extra_env), timeout=180,
        check=False,
    )


def twine_upload(
    repository_url: str, files: list[Path], username: str, password: str, *extra: str
) -> subprocess.CompletedProcess:
    return run([
        sys.executable, "-m", "twine", "upload", "--non-interactive", "--disable-progress-bar",
        "--repository-url", repository_url, "-u", username, "-p", password, *extra,
        *map(str, files),
    ])


def uv_publish(
    publish_url: str, files: list[Path], username: str, password: str, *extra: str
) -> subprocess.CompletedProcess:
    return run([
        str(BIN / "uv"), "publish", "--publish-url", publish_url, "--username", username,
        "--password", password, *extra, *map(str, files),
    ])


def pip_install(index_url: str, target: Path, *requirements: str) -> subprocess.CompletedProcess:
    return run([
        sys.executable, "-m", "pip", "install", "--no-cache-dir", "--index-url", index_url,
        "--target", str(target), "--only-binary", ":all:", "-v", *requirements,
    ])


def uv_pip_install(
    index_url: str, target: Path, *requirements: str
) -> subprocess.CompletedProcess:
    return run([
        str(BIN / "uv"), "pip", "install", "--index-url", index_url, "--target", str(target),
        "--python", sys.executable, *requirements,
    ])


def with_credentials(url: str, username: str, password: str) -> str:
    scheme, rest = url.split("://", 1)
    return f"{scheme}://{username}:{password}@{rest}"
