"""Start the servers under test on 127.0.0.1 and load the data set into each."""

from __future__ import annotations

import atexit
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import requests

from benchmarks.measure import Upload, upload_rate

REPO = Path(__file__).resolve().parents[1]
WORK = REPO / "benchmarks" / ".work"
PASSWORD = "bench-password"


@dataclass
class Server:
    name: str
    process: subprocess.Popen
    base: str
    simple: str  # URL of the simple root, ending in "/"
    upload: Upload | None = None
    env: dict[str, str] = field(default_factory=dict)
    group_simple: str | None = None  # ours only: a group's simple root over many projects
    proxy: subprocess.Popen | None = None  # nginx in front (the production shape)
    ceiling: str | None = None  # ours only: the trivial view under the same stack

    def page(self, project: str) -> str:
        return f"{self.simple}{project}/"

    def stop(self) -> None:
        for process in (self.proxy, self.process):
            if process is not None and process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
                process.wait(timeout=60)


def _start(args: list[str], log: Path, env: dict[str, str] | None = None) -> subprocess.Popen:
    process = subprocess.Popen(args, stdout=log.open("w"), stderr=subprocess.STDOUT,
                               env=env or os.environ.copy(), start_new_session=True, cwd=REPO)
    atexit.register(_kill, process)  # whatever happens, no server outlives the benchmark
    return process


def _kill(process: subprocess.Popen) -> None:
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGKILL)


def _wait(url: str, process: subprocess.Popen, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"server for {url} exited")
        try:
            requests.get(url, timeout=2)
            return
        except requests.RequestException:
            time.sleep(0.3)
    raise RuntimeError(f"{url} did not answer")


# The production shape on this machine: PostgreSQL and Redis as the guide runs them, nginx
# with deploy/nginx.conf (micro-cache on) in front. The database is dropped and made anew.
PG_URL = os.environ.get("BENCH_PG_URL", "postgres://postgres@127.0.0.1:5432")
PG_DATABASE = "registry_bench"
REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/14")


def start_ours(port: int, files: list[tuple[Path, str, str]], *, shape: str = "embedded",
               rows_only: bool = False, upstream: str | None = None) -> Server:
    """Ours as `make run` starts it (gunicorn.conf.py defaults, access log on), with the
    trivial view of benchmarks.ceiling beside our routes; `shape="production"` puts it on
    PostgreSQL and Redis behind nginx. `rows_only` writes the data set's rows straight into
    the database instead of uploading it (for the large growth sizes). `upstream` (a stand-in's
    base URL) turns forwarding on in proxy mode, pointed at it (the proxy section)."""
    name = "ours" if shape == "embedded" else "ours (production)"
    data = WORK / ("ours" if shape == "embedded" else "ours-production")
    if upstream:
        data = data.with_name(f"{data.name}-proxy")
    shutil.rmtree(data, ignore_errors=True)
    data.mkdir(parents=True)
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("REGISTRY_", "DJANGO_", "GUNICORN_", "DATABASE_"))}
    app_port = port + 1000 if shape == "production" else port
    env |= {"REGISTRY_DATA_DIR": str(data), "PORT": str(app_port),
            "DJANGO_SETTINGS_MODULE": "benchmarks.ceiling"}
    if upstream:
        env |= {"REGISTRY_PYPI_UPSTREAM_URL": f"{upstream}/simple",
                "REGISTRY_PYPI_FORWARDING_MODE": "proxy"}
    if shape == "production":
        _fresh_postgres()
        subprocess.run(["redis-cli", "-u", REDIS_URL, "flushdb"], check=True,
                       capture_output=True)
        env |= {"DATABASE_URL": f"{PG_URL}/{PG_DATABASE}", "REGISTRY_CACHE_URL": REDIS_URL,
                "REGISTRY_X_ACCEL_REDIRECT": "/_files/", "REGISTRY_TRUSTED_PROXY_COUNT": "1"}
    manage = [sys.executable, "manage.py"]
    subprocess.run([*manage, "migrate", "--noinput", "-v0"], env=env, cwd=REPO, check=True)
    subprocess.run([*manage, "collectstatic", "--noinput", "-v0"], env=env, cwd=REPO, check=True)
    listing = data / "files.json"
    listing.write_text(json.dumps([(path.name, n, v) for path, n, v in files]))
    script = data / "setup.py"
    script.write_text(_SETUP + (_ROWS.format(listing=str(listing)) if rows_only else "")
                      + (_PROXY if upstream else "") + _PRINT)
    created = subprocess.run([*manage, "shell", "-c", f"exec(open({str(script)!r}).read())"],
                             env=env, cwd=REPO, check=True, capture_output=True,
                             text=True).stdout.split()
    project_id, group_id, token = created[-3:]
    process = _start([sys.executable, "-m", "gunicorn", "registry.wsgi", "-c", "gunicorn.conf.py"],
                     data / "server.log", env)
    _wait(f"http://127.0.0.1:{app_port}/-/health", process)
    proxy = _start_proxy(port, app_port, data) if shape == "production" else None
    base = f"http://127.0.0.1:{port}"
    if proxy is not None:
        _wait(f"{base}/-/health", proxy)
    api = f"{base}/api/v4/projects/{project_id}/packages/pypi"
    server = Server(name, process, base, f"{api}/simple/", Upload(api, ("bench", token)), env,
                    f"{base}/api/v4/groups/{group_id}/-/packages/pypi/simple/", proxy,
                    f"{base}/api/v4/-/bench/ceiling")
    if not rows_only:
        _load(server, files)
    return server


def _fresh_postgres() -> None:
    for sql in (f"DROP DATABASE IF EXISTS {PG_DATABASE} WITH (FORCE)",
                f"CREATE DATABASE {PG_DATABASE}"):
        subprocess.run(["psql", f"{PG_URL}/postgres", "-q", "-c", sql], check=True,
                       capture_output=True)


def drop_postgres() -> None:
    subprocess.run(["psql", f"{PG_URL}/postgres", "-q", "-c",
                    f"DROP DATABASE IF EXISTS {PG_DATABASE} WITH (FORCE)"], check=False,
                   capture_output=True)


def _start_proxy(port: int, app_port: int, data: Path) -> subprocess.Popen:
    """nginx with deploy/nginx.conf, pointed at this gunicorn and this machine's folders."""
    root = data / "nginx"
    (root / "cache").mkdir(parents=True)
    (data / "storage").mkdir(exist_ok=True)
    for folder in (root, root / "cache", data, data / "storage"):
        folder.chmod(0o777)  # nginx's workers run as nobody
    config = (REPO / "deploy" / "nginx.conf").read_text()
    for old, new in (
        ("worker_processes auto;", f"worker_processes auto; pid {root}/nginx.pid; "
                                   f"error_log {root}/error.log; daemon off;"),
        ("/var/cache/nginx/simple", str(root / "cache")),
        ("access_log /dev/stdout registry;", f"access_log {root}/access.log registry;"),
        ("server app:8000;", f"server 127.0.0.1:{app_port};"),
        ("listen 80;", f"listen 127.0.0.1:{port};"),
        # Behind Docker the port is 80; here the links must keep the bench's port.
        ("proxy_set_header Host $host;", "proxy_set_header Host $http_host;"),
        ("alias /data/storage/;", f"alias {data}/storage/;"),
    ):
        assert old in config, old
        config = config.replace(old, new)
    (root / "nginx.conf").write_text(config)
    return _start(["nginx", "-c", str(root / "nginx.conf"), "-p", str(root)],
                  root / "server.log")


GROUP_PROJECTS = int(os.environ.get("BENCH_GROUP_PROJECTS", "1000"))

_SETUP = f"""
from django.db import transaction
from auth_tokens.services import personal_access_token_issue
from packages_pypi.models import Package, PackageFile
from projects.models import ApplicationSettings
from projects.roles import AccessLevel, Visibility
from tests.factories import add_member, make_group, make_project, make_user
settings = ApplicationSettings.load(); settings.pypi_package_requests_forwarding = False
settings.save()
project = make_project("bench", namespace=make_group("bench"), visibility=Visibility.PUBLIC)
user = make_user("bench"); add_member(project, user, AccessLevel.MAINTAINER)
_, token = personal_access_token_issue(user=user, name="bench", scopes=["api"])
# A group of many registry projects with one package each, for the group pages. Rows only:
# the index never opens a blob, and uploading them all would add minutes for nothing.
fleet = make_group("fleet", visibility=Visibility.PUBLIC)
with transaction.atomic():
    for i in range({GROUP_PROJECTS}):
        p = make_project(f"p{{i}}", namespace=fleet, visibility=Visibility.PUBLIC)
        pkg = Package.objects.create(project=p, name=f"fleet-{{i}}", normalized_name=f"fleet-{{i}}",
                                     version="1.0", canonical_version="1")
        PackageFile.objects.create(
            package=pkg, project=p, file=f"none/{{i}}", file_name=f"fleet_{{i}}-1.0.tar.gz",
            size=1, sha256="0" * 64, md5="0" * 32, blake2_256="0" * 64, packagetype="sdist")
"""

_PROXY = """
settings.pypi_package_requests_forwarding = True
settings.pypi_package_requests_forwarding_mode = "proxy"
settings.save()
"""

_PRINT = """
print(project.pk, fleet.pk, token)
"""

# The data set as rows (growth sizes): the same names, versions and file names as the upload
# would give, no blobs (the index never opens one).
_ROWS = """
import hashlib, json
from packaging.utils import canonicalize_version
from packages_pypi.services import packages_serial_bump
files = json.loads(open({listing!r}).read())
with transaction.atomic():
    packages = {{}}
    for filename, name, version in files:
        if (name, version) not in packages:
            packages[(name, version)] = Package(project=project, name=name,
                normalized_name=name, version=version,
                canonical_version=canonicalize_version(version))
    Package.objects.bulk_create(packages.values(), batch_size=2000)
    packages = {{(p.name, p.version): p for p in Package.objects.filter(project=project)}}
    PackageFile.objects.bulk_create([
        PackageFile(package=packages[(name, version)], project=project, file=f"none/{{filename}}",
                    file_name=filename, size=1,
                    sha256=hashlib.sha256(filename.encode()).hexdigest(), md5="0" * 32,
                    blake2_256="0" * 64,
                    packagetype="bdist_wheel" if filename.endswith(".whl") else "sdist")
        for filename, name, version in files], batch_size=2000)
    packages_serial_bump([project.pk])
"""


def start_pypiserver(port: int, files: list[tuple[Path, str, str]]) -> Server:
    venv = WORK / "pypiserver"
    root = WORK / "pypiserver-data"
    shutil.rmtree(root, ignore_errors=True)
    (root / "packages").mkdir(parents=True)
    htpasswd = root / "htpasswd"
    subprocess.run([venv / "bin/python", "-c",
                    "import sys; from passlib.apache import HtpasswdFile as H; "
                    "h = H(sys.argv[1], new=True); h.set_password('bench', sys.argv[2]); h.save()",
                    str(htpasswd), PASSWORD], check=True)
    for path, _, _ in files:  # pypiserver reads its folder: copying is loading.
        shutil.copy(path, root / "packages" / path.name)
    process = _start([str(venv / "bin/pypi-server"), "run", "-i", "127.0.0.1", "-p", str(port),
                      "-P", str(htpasswd), "-a", "update", "--disable-fallback",
                      str(root / "packages")], root / "server.log")
    base = f"http://127.0.0.1:{port}"
    _wait(f"{base}/simple/", process)
    return Server("pypiserver", process, base, f"{base}/simple/",
                  Upload(f"{base}/", ("bench", PASSWORD)))


def start_devpi(port: int, files: list[tuple[Path, str, str]]) -> Server:
    venv = WORK / "devpi"
    root = WORK / "devpi-data"
    shutil.rmtree(root, ignore_errors=True)
    subprocess.run([venv / "bin/devpi-init", "--serverdir", str(root / "server"),
                    "--root-passwd", PASSWORD], check=True, capture_output=True)
    process = _start([str(venv / "bin/devpi-server"), "--serverdir", str(root / "server"),
                      "--host", "127.0.0.1", "--port", str(port)], root / "server.log")
    base = f"http://127.0.0.1:{port}"
    _wait(f"{base}/+api", process)
    client = [str(venv / "bin/devpi"), "--clientdir", str(root / "client")]
    for args in (["use", base], ["user", "-c", "bench", f"password={PASSWORD}"],
                 ["login", "bench", "--password", PASSWORD], ["index", "-c", "dev", "bases="]):
        subprocess.run([*client, *args], check=True, capture_output=True)
    server = Server("devpi", process, base, f"{base}/bench/dev/+simple/",
                    Upload(f"{base}/bench/dev/", ("bench", PASSWORD)))
    _load(server, files)
    return server


def _load(server: Server, files: list[tuple[Path, str, str]]) -> None:
    try:
        _, failures = upload_rate(server.upload, files, clients=4)
    except BaseException:
        server.stop()
        raise
    if failures:
        server.stop()
        raise RuntimeError(f"{server.name}: {failures} uploads failed while loading")


def start_static_nginx(port: int, pages: dict[str, bytes]) -> Server:
    """nginx serving our simple pages as files: the physical floor."""
    root = WORK / "nginx-static"
    shutil.rmtree(root, ignore_errors=True)
    for path, body in pages.items():
        target = root / "www" / path.strip("/") / "index.html"
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(body)
    config = root / "nginx.conf"
    config.write_text(f"""
worker_processes auto; pid {root}/nginx.pid; error_log {root}/error.log; daemon off;
events {{ worker_connections 4096; }}
http {{ access_log off; sendfile on; default_type text/html;
  server {{ listen 127.0.0.1:{port}; root {root}/www; }} }}
""")
    process = _start(["nginx", "-c", str(config), "-p", str(root)], root / "server.log")
    base = f"http://127.0.0.1:{port}"
    _wait(f"{base}/", process)
    return Server("nginx static", process, base, f"{base}/simple/")
