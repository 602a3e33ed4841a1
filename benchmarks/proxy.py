"""The proxy section of `make bench` (issue 11): ours in proxy mode against devpi-server's
mirror index and proxpi, all three pointed at one stand-in upstream (benchmarks/standin.py)
on 127.0.0.1, with the same data, in the same run.

For each: a cached upstream page and a cached upstream wheel (BENCH_PROXY_FILE_KB, default
300), each fetched once to warm the cache and then driven by wrk at 16 connections for
BENCH_SECONDS; and BENCH_PROXY_COLD (default 20) names never asked for, each timed through
the server and directly from the stand-in (the added latency of a cold miss).

In `make bench` unless BENCH_PROXY=0; alone: `make bench-proxy` (or `python
benchmarks/proxy.py`), writing benchmarks/.work/proxy.md and proxy.json.
BENCH_PROXY_SERVERS (default `ours,production,devpi,proxpi`) picks the servers.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from urllib.parse import urljoin, urlsplit

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from benchmarks import measure, servers  # noqa: E402

WORK = servers.WORK
SECONDS = int(os.environ.get("BENCH_SECONDS", "10"))
SERVERS = os.environ.get("BENCH_PROXY_SERVERS", "ours,production,devpi,proxpi").split(",")
COLD = int(os.environ.get("BENCH_PROXY_COLD", "20"))
FILE_KB = int(os.environ.get("BENCH_PROXY_FILE_KB", "300"))
PORT = int(os.environ.get("BENCH_PROXY_PORT", "18850"))
PAGE, FILE, COLD_PREFIX = "upstream-page", "upstream-file", "upstream-cold"
# What pip sends: every server answers a cold miss in the format pip asks for.
PIP_ACCEPT = ("application/vnd.pypi.simple.v1+json, application/vnd.pypi.simple.v1+html; "
              "q=0.1, text/html; q=0.01")
WHEEL = f"{FILE.replace('-', '_')}-1.0.0-py3-none-any.whl"


def start_standin() -> tuple[subprocess.Popen, str]:
    """The stand-in upstream in a process of its own; returns it and its base URL."""
    log = WORK / "standin.log"
    log.parent.mkdir(parents=True, exist_ok=True)
    process = servers._start([sys.executable, "-m", "benchmarks.standin", PAGE, FILE,
                              COLD_PREFIX, str(COLD), str(FILE_KB)], log)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        first = log.read_text().split("\n", 1)[0]
        if first.startswith("http://"):
            return process, first.strip()
        if process.poll() is not None:
            raise RuntimeError(f"the stand-in exited: {log.read_text()}")
        time.sleep(0.1)
    raise RuntimeError("the stand-in did not start")


def start_devpi_mirror(port: int, upstream: str) -> servers.Server:
    """devpi-server's own `root/pypi` mirror, its mirror_url pointed at the stand-in."""
    venv, root = WORK / "devpi", WORK / "devpi-mirror-data"
    shutil.rmtree(root, ignore_errors=True)
    subprocess.run([venv / "bin/devpi-init", "--serverdir", str(root / "server"),
                    "--root-passwd", servers.PASSWORD], check=True, capture_output=True)
    process = servers._start([str(venv / "bin/devpi-server"), "--serverdir", str(root / "server"),
                              "--host", "127.0.0.1", "--port", str(port)], root / "server.log")
    base = f"http://127.0.0.1:{port}"
    servers._wait(f"{base}/+api", process)
    client = [str(venv / "bin/devpi"), "--clientdir", str(root / "client")]
    for args in (["use", base], ["login", "root", "--password", servers.PASSWORD],
                 ["index", "root/pypi", f"mirror_url={upstream}/simple/"]):
        subprocess.run([*client, *args], check=True, capture_output=True)
    return servers.Server("devpi mirror", process, base, f"{base}/root/pypi/+simple/")


def start_proxpi(port: int, upstream: str) -> servers.Server:
    """proxpi under gunicorn the way its Docker image runs it (one process, two threads)."""
    venv, root = WORK / "proxpi", WORK / "proxpi-data"
    shutil.rmtree(root, ignore_errors=True)
    (root / "cache").mkdir(parents=True)
    # Its own (empty) config: gunicorn would otherwise read ours from the working directory.
    (root / "gunicorn.conf.py").write_text("")
    env = os.environ | {"PROXPI_INDEX_URL": f"{upstream}/simple/",
                        "PROXPI_CACHE_DIR": str(root / "cache")}
    process = servers._start(
        [str(venv / "bin/gunicorn"), "--config", str(root / "gunicorn.conf.py"), "--preload",
         "--access-logfile", "-",
         "--access-logformat", '%(h)s "%(r)s" %(s)s %(b)s %(M)dms',
         "--logger-class", "proxpi.server._GunicornLogger", "--bind", f"127.0.0.1:{port}",
         "--workers", "1", "--threads", "2", "--no-control-socket", "proxpi.server:app"],
        root / "server.log", env)
    base = f"http://127.0.0.1:{port}"
    servers._wait(f"{base}/health", process)
    return servers.Server("proxpi", process, base, f"{base}/index/")


def file_url(page_url: str, html: str, filename: str) -> str:
    """The absolute URL (fragment dropped) of `filename`'s link on a simple HTML page."""
    for href in re.findall(r'href="([^"]+)"', html):
        absolute = urljoin(page_url, href.replace("&amp;", "&")).split("#", 1)[0]
        if urlsplit(absolute).path.rsplit("/", 1)[-1] == filename:
            return absolute
    raise LookupError(f"{filename} is not on {page_url}")


def _get(url: str, accept: str = "text/html") -> measure.requests.Response:
    response = measure.requests.get(url, headers={"Accept": accept}, timeout=120,
                                    allow_redirects=False)
    if response.status_code != 200:
        raise RuntimeError(f"GET {url}: {response.status_code} {response.text[:300]}")
    return response


def _warm_file(url: str) -> None:
    """Fetched until it comes from the cache: proxpi redirects to the upstream while its
    first download runs (PROXPI_DOWNLOAD_TIMEOUT), and wrk would count the 302s."""
    deadline = time.monotonic() + 60
    while True:
        response = measure.requests.get(url, timeout=120, allow_redirects=False)
        if response.status_code == 200 and len(response.content) > FILE_KB * 1000:
            return
        if time.monotonic() > deadline:
            raise RuntimeError(f"GET {url} never answered 200: {response.status_code}")
        time.sleep(0.2)


def cold_misses(server: servers.Server, upstream: str) -> dict:
    """Each never-asked name through the server and straight from the stand-in: the
    server's added ms (median, p90), and the stand-in's own median for scale."""
    added, direct = [], []
    for index in range(COLD):
        name = f"{COLD_PREFIX}-{index:03d}"
        start = time.perf_counter()
        _get(f"{upstream}/simple/{name}/", PIP_ACCEPT)
        middle = time.perf_counter()
        _get(server.page(name), PIP_ACCEPT)
        end = time.perf_counter()
        direct.append((middle - start) * 1000)
        added.append((end - middle) * 1000 - direct[-1])
    return {"count": COLD, "added_median_ms": statistics.median(added),
            "added_p90_ms": _p90(added), "direct_median_ms": statistics.median(direct)}


def _p90(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(0.9 * (len(ordered) - 1)))]


def measure_proxy(server: servers.Server, upstream: str) -> dict:
    page = server.page(PAGE)
    _get(page)
    wheel = file_url(server.page(FILE), _get(server.page(FILE)).text, WHEEL)
    _warm_file(wheel)
    return {"page_16": measure.wrk(page, 16, SECONDS),
            "file_16": measure.wrk(wheel, 16, SECONDS),
            "cold": cold_misses(server, upstream),
            "rss_after": measure.tree_rss(server.process.pid)}


def _starts(upstream: str) -> dict[str, Callable[[int], servers.Server]]:
    return {
        "ours": lambda port: servers.start_ours(port, [], upstream=upstream),
        "production": lambda port: servers.start_ours(port, [], shape="production",
                                                      upstream=upstream),
        "devpi": lambda port: start_devpi_mirror(port, upstream),
        "proxpi": lambda port: start_proxpi(port, upstream),
    }


def run() -> dict:
    """Every server of BENCH_PROXY_SERVERS against one stand-in; one that fails to start or
    to answer is reported with its error, and the others still run."""
    began = time.perf_counter()
    standin, upstream = start_standin()
    results: dict = {"file_kb": FILE_KB, "cold": COLD, "errors": {}, "servers": {}}
    try:
        for offset, (key, start) in enumerate(_starts(upstream).items()):
            if key not in SERVERS:
                continue
            print(f"== proxy: {key} against the stand-in at {upstream}", flush=True)
            try:
                server = start(PORT + offset)
            except (RuntimeError, subprocess.CalledProcessError) as error:
                results["errors"][key] = _describe(error)
                continue
            try:
                results["servers"][server.name] = measure_proxy(server, upstream)
            except (RuntimeError, LookupError, subprocess.CalledProcessError) as error:
                results["errors"][server.name] = _describe(error)
            finally:
                server.stop()
                if key == "production":
                    servers.drop_postgres()
    finally:
        servers._kill(standin)
    results["seconds"] = time.perf_counter() - began
    return results


def _describe(error: Exception) -> str:
    if isinstance(error, subprocess.CalledProcessError):
        output = error.stderr or error.stdout or b""
        text = output.decode(errors="replace") if isinstance(output, bytes) else output
        return f"{error.cmd}: exit {error.returncode}: {text.strip()[-500:]}"
    return str(error)


def main() -> None:
    from benchmarks.bench import _plain, ensure_tools
    from benchmarks.report import proxy_table

    ensure_tools([venv for venv in ("devpi", "proxpi") if venv in SERVERS])
    results = run()
    report = proxy_table(results)
    (WORK / "proxy.md").write_text(report)
    (WORK / "proxy.json").write_text(json.dumps(results, default=_plain, indent=1))
    print(report)


if __name__ == "__main__":
    main()
