"""The deployment files stay valid: nginx accepts its configuration."""

import shutil
import subprocess
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[3]


@pytest.mark.skipif(shutil.which("nginx") is None, reason="nginx is not installed")
def test_nginx_accepts_the_deployment_config(tmp_path):
    # `app` resolves only inside docker compose; the rest is tested as shipped.
    config = (REPO / "deploy" / "nginx.conf").read_text()
    config = config.replace("server app:8000;", "server 127.0.0.1:8000;")
    config = config.replace("/var/cache/nginx/simple", str(tmp_path / "cache"))
    config = config.replace("/dev/stdout", str(tmp_path / "access.log"))
    (tmp_path / "nginx.conf").write_text(config)

    checked = subprocess.run(
        ["nginx", "-t", "-c", str(tmp_path / "nginx.conf"),
         "-g", f"pid {tmp_path}/nginx.pid; error_log {tmp_path}/error.log;"],
        capture_output=True, text=True, check=False,
    )

    assert checked.returncode == 0, checked.stderr
