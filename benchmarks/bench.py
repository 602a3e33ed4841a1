"""`make bench`: ours in two shapes against pypiserver and devpi-server, with nginx static files
as the floor and a trivial Django view under the same stack as our ceiling.

BENCH_PROJECTS (default 2000) projects x 3 versions x (wheel + sdist); BENCH_SECONDS per wrk
run (default 10); BENCH_BIG_MB for the large upload (default 500); BENCH_SERVERS (default
`ours,production,pypiserver,devpi`: `production` is ours on PostgreSQL and Redis behind nginx
with deploy/nginx.conf); BENCH_DEVPI_PROJECTS (default: BENCH_PROJECTS) loads devpi with fewer
projects, since it takes 0.8 s a file; BENCH_GROWTH (default `2000,20000`) the sizes at which
ours is measured again with the data set written straight into its database; BENCH_PROXY=0
skips the proxy section (benchmarks/proxy.py: ours in proxy mode against devpi's mirror and
proxpi). Results go to stdout, benchmarks/.work/results.md and results.json, with PNG charts
beside them.
"""

from __future__ import annotations

import dataclasses
import io
import json
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

from benchmarks import measure, proxy, servers  # noqa: E402
from tests.builders import build_sdist, build_wheel  # noqa: E402

WORK = servers.WORK
PROJECTS = int(os.environ.get("BENCH_PROJECTS", "2000"))
SECONDS = int(os.environ.get("BENCH_SECONDS", "10"))
BIG_MB = int(os.environ.get("BENCH_BIG_MB", "500"))
# Which servers to measure: `BENCH_SERVERS=ours` is a quick run of ours alone.
SERVERS = os.environ.get("BENCH_SERVERS", "ours,production,pypiserver,devpi").split(",")
DEVPI_PROJECTS = int(os.environ.get("BENCH_DEVPI_PROJECTS", str(PROJECTS)))
GROWTH = [int(size) for size in os.environ.get("BENCH_GROWTH", "2000,20000").split(",") if size]
# The proxy section (benchmarks/proxy.py) runs after the servers unless BENCH_PROXY=0.
PROXY = os.environ.get("BENCH_PROXY", "1") != "0"
VERSIONS = ("1.0.0", "1.1.0", "1.2.0")
INSTALL_COUNT = 20


# The peers, each in a side virtualenv of its own under benchmarks/.work/.
VENVS = {"pypiserver": ["pypiserver[passlib]", "waitress"],
         "devpi": ["devpi-server", "devpi-client"],
         "proxpi": ["proxpi", "gunicorn"]}


def ensure_tools(venvs: list[str]) -> None:
    missing = [tool for tool in ("wrk", "nginx") if shutil.which(tool) is None]
    if missing:
        subprocess.run(["apt-get", "update", "-qq"], check=True)
        packages = ["nginx-light" if tool == "nginx" else tool for tool in missing]
        subprocess.run(["apt-get", "install", "-y", "-qq", *packages], check=True,
                       env=os.environ | {"DEBIAN_FRONTEND": "noninteractive"})
    for venv, packages in VENVS.items():
        if venv in venvs and not (WORK / venv / "bin" / "python").exists():
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


def names_only(prefix: str, count: int) -> list:
    """The data set's file names without building the files (rows straight into a database)."""
    files = []
    for index in range(count):
        name = f"{prefix}-{index:05d}"
        for version in VERSIONS:
            stem = f"{name.replace('-', '_')}-{version}"
            files += [(Path(f"{stem}-py3-none-any.whl"), name, version),
                      (Path(f"{stem}.tar.gz"), name, version)]
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
    if server.ceiling:
        result["ceiling_16"] = measure.wrk(server.ceiling, 16, SECONDS)
    if server.name.startswith("ours"):
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
    result["install"] = _installs(server, DEVPI_PROJECTS if server.name == "devpi" else PROJECTS)
    return result


def measure_growth(port: int) -> dict:
    """Ours (embedded) at each growth size, loaded as rows: the page, miss and token rows."""
    growth = {}
    for size in GROWTH:
        port += 1
        print(f"== growth: {size} projects as rows", flush=True)
        server = servers.start_ours(port, names_only("bench", size), rows_only=True)
        try:
            sample = f"bench-{size // 2:05d}"
            token = {"PRIVATE-TOKEN": server.upload.auth[1]}
            growth[size] = {
                "page_16": measure.wrk(server.page(sample), 16, SECONDS),
                "miss_16": measure.wrk(server.page("no-such-project-here"), 16, SECONDS),
                "token_page_16": measure.wrk(server.page(sample), 16, SECONDS, token),
                "ceiling_16": measure.wrk(server.ceiling, 16, SECONDS),
            }
        finally:
            server.stop()
    return growth


def _installs(server: servers.Server, projects: int) -> tuple[float, float]:
    step = max(projects // INSTALL_COUNT, 1)
    names = [f"bench-{index:05d}" for index in range(0, projects, step)]
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
    ensure_tools([*SERVERS, *(["devpi", "proxpi"] if PROXY else [])])
    files = dataset("bench", PROJECTS)
    sample = f"bench-{PROJECTS // 2:05d}"
    results, port = {}, 18700
    pages: dict[str, bytes] = {}
    starts = {
        "ours": lambda port, files: servers.start_ours(port, files),
        "production": lambda port, files: servers.start_ours(port, files, shape="production"),
        "pypiserver": servers.start_pypiserver,
        "devpi": servers.start_devpi,
    }
    for key in (key for key in starts if key in SERVERS):
        port += 1
        loaded = dataset("bench", DEVPI_PROJECTS) if key == "devpi" else files
        print(f"== loading {len(loaded)} files into {key}", flush=True)
        began = time.perf_counter()
        server = starts[key](port, loaded)
        print(f"   loaded in {time.perf_counter() - began:.0f}s", flush=True)
        uploads = {
            (server.name, 1): dataset(f"up1-{key}", 25, ("1.0.0",)),
            (server.name, 4): dataset(f"up4-{key}", 50, ("1.0.0",)),
            (server.name, "big"): big_file(f"big-{key}"),
        }
        try:
            if key == "ours":
                pages = {"simple/": _get(server.simple),
                         f"simple/{sample}/": _get(server.page(sample))}
            devpi_sample = f"bench-{DEVPI_PROJECTS // 2:05d}" if key == "devpi" else sample
            results[server.name] = measure_server(server, devpi_sample, uploads)
        finally:
            server.stop()
            if key == "production":
                servers.drop_postgres()
    port += 1
    floor = servers.start_static_nginx(port, pages)
    try:
        results["nginx static"] = measure_server(floor, sample, {})
    finally:
        floor.stop()
    _write(results, {}, {})  # the servers' figures are kept even if later runs fail
    upstream = proxy.run() if PROXY else {}
    _write(results, {}, upstream)
    growth = measure_growth(port + 10)
    print(_write(results, growth, upstream))
    from benchmarks.charts import draw

    for chart in draw(results, growth, WORK):
        print(f"chart: {chart}")


def _write(results: dict, growth: dict, upstream: dict) -> str:
    report = render(results, growth, upstream)
    (WORK / "results.md").write_text(report)
    (WORK / "results.json").write_text(json.dumps(
        {"projects": PROJECTS, "devpi_projects": DEVPI_PROJECTS, "seconds": SECONDS,
         "results": results, "growth": growth, "proxy": upstream}, default=_plain, indent=1))
    return report


def _plain(value: object) -> object:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return dataclasses.asdict(value)
    raise TypeError(f"{type(value)} is not JSON")


def _get(url: str) -> bytes:
    return measure.requests.get(url, headers={"Accept": "text/html"}, timeout=30).content


def render(results: dict, growth: dict, upstream: dict) -> str:
    from benchmarks.report import growth_table, limits_table, proxy_table, table

    devpi = f", devpi loaded with {DEVPI_PROJECTS}" if DEVPI_PROJECTS != PROJECTS else ""
    head = (f"{time.strftime('%Y-%m-%d')}, {platform.node()}, {os.cpu_count()} cores, "
            f"Python {platform.python_version()}, {PROJECTS} projects x {len(VERSIONS)} versions "
            f"x 2 files{devpi}, wrk {SECONDS}s per run\n\n")
    return (head + table(results) + "\n" + limits_table(results) + "\n"
            + growth_table(growth) + "\n" + proxy_table(upstream))


if __name__ == "__main__":
    main()
