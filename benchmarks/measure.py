"""Measurements: wrk runs, uploads, resident memory and client install times."""

from __future__ import annotations

import hashlib
import os
import re
import subprocess
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import requests

MIB = 1024 * 1024


@dataclass
class WrkResult:
    rps: float
    p50_ms: float
    p99_ms: float
    errors: int


def wrk(
    url: str, connections: int, seconds: int = 10, headers: dict[str, str] | None = None
) -> WrkResult:
    """Requests/s and latency percentiles of GETs of one URL, with Debian's wrk."""
    threads = min(connections, 2)
    extra = [arg for name, value in (headers or {}).items() for arg in ("-H", f"{name}: {value}")]
    out = subprocess.run(
        ["wrk", f"-t{threads}", f"-c{connections}", f"-d{seconds}s", "--latency",
         "-H", "Accept: text/html", *extra, url],
        capture_output=True, text=True, check=True,
    ).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    non_2xx = re.search(r"Non-2xx or 3xx responses:\s*(\d+)", out)
    errors = int(non_2xx.group(1)) if non_2xx else 0
    return WrkResult(rps, _percentile(out, "50%"), _percentile(out, "99%"), errors)


def _percentile(out: str, label: str) -> float:
    value, unit = re.search(rf"{label}\s+([\d.]+)(us|ms|s)", out).groups()
    return float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]


def tree_rss(pid: int) -> int:
    """Resident bytes of a process and all its descendants."""
    total = 0
    for proc in [pid, *_descendants(pid)]:
        try:
            status = Path(f"/proc/{proc}/status").read_text()
        except FileNotFoundError:
            continue
        match = re.search(r"VmRSS:\s+(\d+) kB", status)
        total += int(match.group(1)) * 1024 if match else 0
    return total


def _descendants(pid: int) -> list[int]:
    found: list[int] = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        try:
            children = (task / "children").read_text().split()
        except FileNotFoundError:
            continue
        for child in map(int, children):
            found += [child, *_descendants(child)]
    return found


class PeakRss:
    """Samples a process tree's RSS every 20 ms while in use."""

    def __init__(self, pid: int) -> None:
        self.pid, self.peak, self._stop = pid, 0, threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> PeakRss:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()

    def _run(self) -> None:
        while not self._stop.is_set():
            self.peak = max(self.peak, tree_rss(self.pid))
            time.sleep(0.02)


@dataclass
class Upload:
    """Where and how a server takes legacy (twine) uploads."""

    url: str
    auth: tuple[str, str]


class _MultipartFile:
    """A multipart/form-data body streamed from a file, with a known length (no chunking)."""

    def __init__(self, fields: dict[str, str], path: Path, boundary: str) -> None:
        head = b"".join(
            f'--{boundary}\r\nContent-Disposition: form-data; name="{k}"\r\n\r\n{v}\r\n'.encode()
            for k, v in fields.items()
        )
        head += (
            f'--{boundary}\r\nContent-Disposition: form-data; name="content"; '
            f'filename="{path.name}"\r\nContent-Type: application/octet-stream\r\n\r\n'
        ).encode()
        self._parts = [head, path, f"\r\n--{boundary}--\r\n".encode()]
        self._length = len(head) + path.stat().st_size + len(self._parts[2])

    def __len__(self) -> int:
        return self._length

    def __iter__(self):  # noqa: ANN204
        yield self._parts[0]
        with self._parts[1].open("rb") as handle:
            while block := handle.read(MIB):
                yield block
        yield self._parts[2]


def upload(session: requests.Session, target: Upload, path: Path, name: str, version: str) -> int:
    """POST one file the way twine does; returns the status code."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while block := handle.read(MIB):
            digest.update(block)
    fields = {
        ":action": "file_upload", "protocol_version": "1", "name": name, "version": version,
        "metadata_version": "2.1",
        "filetype": "bdist_wheel" if path.suffix == ".whl" else "sdist",
        "pyversion": "py3" if path.suffix == ".whl" else "source",
        "sha256_digest": digest.hexdigest(),
    }
    boundary = os.urandom(16).hex()
    body = _MultipartFile(fields, path, boundary)
    response = session.post(
        # A sized iterable: requests sends Content-Length and streams the parts.
        target.url, data=body, auth=target.auth, timeout=600,
        headers={"Content-Type": f"multipart/form-data; boundary={boundary}"},
    )
    return response.status_code


def upload_rate(
    target: Upload, files: list[tuple[Path, str, str]], clients: int
) -> tuple[float, int]:
    """Files per second with `clients` concurrent uploaders; returns (rate, failures)."""
    local = threading.local()

    def one(item: tuple[Path, str, str]) -> int:
        if not hasattr(local, "session"):
            local.session = requests.Session()
        return upload(local.session, target, *item)

    start = time.perf_counter()
    with ThreadPoolExecutor(clients) as pool:
        statuses = list(pool.map(one, files))
    elapsed = time.perf_counter() - start
    return len(files) / elapsed, sum(status not in (200, 201) for status in statuses)


def timed(args: list[str], env: dict[str, str]) -> float:
    start = time.perf_counter()
    subprocess.run(args, env=env, check=True, capture_output=True, timeout=900)
    return time.perf_counter() - start
