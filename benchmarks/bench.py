"""`make bench`: ours against pypiserver and devpi-server, with nginx static files as the floor.

BENCH_PROJECTS (default 2000) projects x 3 versions x (wheel + sdist); BENCH_SECONDS per wrk
run (default 10); BENCH_BIG_MB for the large upload (default 500). Results go to stdout and
to benchmarks/.work/results.md.
"""

from __future__ import annotations

import io
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from benchmarks import measure, servers  # noqa: E402
from tests.builders import build_sdist, build_wheel  # noqa: E402

WORK = servers.WORK
PROJECTS = int(os.environ.get("BENCH_PROJECTS", "2000"))
SECONDS = int(os.environ.get("BENCH_SECONDS", "10"))
BIG_MB = int(os.environ.get("BENCH_BIG_MB", "500"))
# Which servers to measure: `BENCH_SERVERS=ours` is a quick run of ours alone.
SERVERS = os.environ.get("BENCH_SERVERS", "ours,pypiserver,devpi").split(",")
VERSIONS = ("1.0.0", "1.1.0", "1.2.0")
INSTALL_COUNT = 20


def ensure_tools() -> None:
    missing = [tool for tool in ("wrk", "nginx") if shutil.which(tool) is None]
    if missing:
        subprocess.run(["apt-get", "update", "-qq"], check=True)
        packages = ["nginx-light" if tool == "nginx" else tool for tool in missing]
        subprocess.run(["apt-get", "install", "-y", "-qq", *packages], check=True,
                       env=os.environ | {"DEBIAN_FRONTEND": "noninteractive"})
    for venv, packages in (("pypiserver", ["pypiserver[passlib]", "waitress"]),
                           ("devpi", ["devpi-server", "devpi-client"])):
        if venv in SERVERS and not (WORK / venv / "bin" / "python").exists():
            subprocess.run([sys.executable, "-m", "venv", str(WORK / venv)], check=True)
            subprocess.run([str(WORK / venv / "bin/pip"), "install", "-q", *packages], check=True)


def dataset(prefix: str, count: int, versions: tuple[str, ...] = VERSIONS) -> list:
    folder = WORK / "data" / f"{prefix}-{count}"
    files = []
    for index in range(count):
        name = f"{prefix}-{index:05d}"
        for version in versions:
            for build in (build_wheel, build_sdist):
                # Built once and kept: the same bytes for every server and every run.
                files.append((folder / _cached(folder, build, name, version), name, version))
    return files


def _cached(folder: Path, build: object, name: str, version: str) -> str:
    marker = folder / f".{build.__name__}-{name}-{version}"
    if marker.exists():
        return marker.read_text()
    folder.mkdir(parents=True, exist_ok=True)
    filename, content = build(name, version, summary="bench")
    (folder / filename).write_bytes(content)
    marker.write_text(filename)
    return filename


def big_file(prefix: str) -> tuple[Path, str, str]:
    """A wheel of BIG_MB with an incompressible payload, written in 1 MiB pieces."""
    name = f"{prefix}-big"
    filename, content = build_wheel(name, "1.0.0")
    path = WORK / "data" / "big" / filename
    path.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(io.BytesIO(content)) as small, zipfile.ZipFile(path, "w") as big:
        for item in small.infolist():
            big.writestr(item, small.read(item))
        with big.open("payload.bin", "w", force_zip64=True) as payload:
            for _ in range(BIG_MB):
                payload.write(os.urandom(1024 * 1024))
    return path, name, "1.0.0"


def measure_server(server: servers.Server, sample: str, uploads: dict) -> dict:
    result: dict = {"rss_rest": measure.tree_rss(server.process.pid)}
    for connections in (1, 16):
        result[f"page_{connections}"] = measure.wrk(server.page(sample), connections, SECONDS)
    result["root_16"] = measure.wrk(server.simple, 16, SECONDS)
    result["miss_16"] = measure.wrk(server.page("no-such-project-here"), 16, SECONDS)
    if server.name == "ours":
        # The hot path of CI and developers: a cached page, asked for with a valid token.
        token = {"PRIVATE-TOKEN": server.upload.auth[1]}
        result["token_page_16"] = measure.wrk(server.page(sample), 16, SECONDS, token)
    if server.group_simple:
        sample_member = f"fleet-{servers.GROUP_PROJECTS // 2}"
        result["group_root_16"] = measure.wrk(server.group_simple, 16, SECONDS)
        result["group_page_16"] = measure.wrk(f"{server.group_simple}{sample_member}/", 16,
                                              SECONDS)
    if server.upload is None:
        return result
    for clients in (1, 4):
        result[f"upload_{clients}"] = measure.upload_rate(
            server.upload, uploads[(server.name, clients)], clients
        )
    path, name, version = uploads[(server.name, "big")]
    rest = measure.tree_rss(server.process.pid)
    with measure.PeakRss(server.process.pid) as peak:
        start = time.perf_counter()
        status = measure.upload(measure.requests.Session(), server.upload, path, name, version)
        elapsed = time.perf_counter() - start
    result["big"] = (BIG_MB / elapsed if status in (200, 201) else 0.0, (peak.peak - rest))
    result["install"] = _installs(server)
    return result


def _installs(server: servers.Server) -> tuple[float, float]:
    step = max(PROJECTS // INSTALL_COUNT, 1)
    names = [f"bench-{index:05d}" for index in range(0, PROJECTS, step)]
    names = names[:INSTALL_COUNT]
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PIP_", "UV_"))}
    env |= {"PIP_CONFIG_FILE": "/dev/null", "UV_NO_CONFIG": "1"}
    with tempfile.TemporaryDirectory() as target:
        pip = measure.timed([sys.executable, "-m", "pip", "install", "-q", "--no-cache-dir",
                             "--disable-pip-version-check", "--index-url", server.simple,
                             "--target", f"{target}/pip", *names], env)
        uv = measure.timed([str(Path(sys.executable).parent / "uv"), "pip", "install", "-q",
                            "--no-cache", "--index-url", server.simple, "--python",
                            sys.executable, "--target", f"{target}/uv", *names], env)
    return pip, uv


def main() -> None:
    ensure_tools()
    files = dataset("bench", PROJECTS)
    sample = f"bench-{PROJECTS // 2:05d}"
    results, port = {}, 18700
    pages: dict[str, bytes] = {}
    starts = (servers.start_ours, servers.start_pypiserver, servers.start_devpi)
    for start in (start for start in starts if start.__name__[6:] in SERVERS):
        port += 1
        print(f"== loading {len(files)} files into {start.__name__[6:]}", flush=True)
        began = time.perf_counter()
        server = start(port, files)
        print(f"   loaded in {time.perf_counter() - began:.0f}s", flush=True)
        uploads = {
            (server.name, 1): dataset(f"up1-{server.name}", 25, ("1.0.0",)),
            (server.name, 4): dataset(f"up4-{server.name}", 50, ("1.0.0",)),
            (server.name, "big"): big_file(f"big-{server.name}"),
        }
        try:
            if server.name == "ours":
                pages = {"simple/": _get(server.simple),
                         f"simple/{sample}/": _get(server.page(sample))}
            results[server.name] = measure_server(server, sample, uploads)
        finally:
            server.stop()
    port += 1
    floor = servers.start_static_nginx(port, pages)
    try:
        results["nginx static"] = measure_server(floor, sample, {})
    finally:
        floor.stop()
    report = render(results)
    print(report)
    (WORK / "results.md").write_text(report)


def _get(url: str) -> bytes:
    return measure.requests.get(url, headers={"Accept": "text/html"}, timeout=30).content


def render(results: dict) -> str:
    from benchmarks.report import table

    head = (f"{time.strftime('%Y-%m-%d')}, {platform.node()}, {os.cpu_count()} cores, "
            f"Python {platform.python_version()}, {PROJECTS} projects x {len(VERSIONS)} versions "
            f"x 2 files, wrk {SECONDS}s per run\n\n")
    return head + table(results)


if __name__ == "__main__":
    main()
