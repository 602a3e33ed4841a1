"""The bench's stand-in upstream index, as its own process: the tests' FakeUpstream
(tests/fakes/upstream.py: PEP 691 JSON and HTML pages with ETags, wheels, PEP 658 metadata)
plus the root project list devpi's mirror reads before it asks for a name it has not seen.

`python -m benchmarks.standin PAGE FILE COLD_PREFIX COLD_COUNT FILE_KB` prints its URL on the
first line, then serves until it is killed.
"""

from __future__ import annotations

import collections
import datetime
import json
import sys
from http.server import BaseHTTPRequestHandler

from tests.builders import build_sdist, build_wheel
from tests.fakes.upstream import MIME_JSON, FakeUpstream, _send

VERSIONS = ("1.0.0", "1.1.0", "1.2.0")
UPLOADED = datetime.datetime(2025, 1, 1, tzinfo=datetime.UTC)


class BenchUpstream(FakeUpstream):
    """FakeUpstream with `/simple/` (the project list) and a bounded request log."""

    def __init__(self) -> None:
        super().__init__()
        # The tests read every request; the bench never does, and wrk must not grow a list.
        self.requests = collections.deque(maxlen=1000)  # type: ignore[assignment]
        self.names: list[str] = []

    def add_project(self, name: str, versions: tuple[str, ...], payload_size: int = 0) -> None:
        """Each version as a wheel and an sdist, like the rest of the bench's data set."""
        self.names.append(name)
        for version in versions:
            for build in (build_wheel, build_sdist):
                filename, data = build(name, version, summary="bench",
                                       payload_size=payload_size if build is build_wheel else 0)
                self.add(filename, data, upload_time=UPLOADED)

    def handle(self, request: BaseHTTPRequestHandler) -> None:
        if request.path.split("?")[0] in ("/simple", "/simple/"):
            self._root(request)
        else:
            super().handle(request)

    def _root(self, request: BaseHTTPRequestHandler) -> None:
        if MIME_JSON in request.headers.get("Accept", ""):
            body = json.dumps({"meta": {"api-version": "1.0"},
                               "projects": [{"name": name} for name in self.names]}).encode()
            _send(request, 200, body, {"Content-Type": MIME_JSON})
            return
        links = "".join(f'<a href="/simple/{name}/">{name}</a>' for name in self.names)
        _send(request, 200, f"<!DOCTYPE html><html><body>{links}</body></html>".encode(),
              {"Content-Type": "text/html"})


def main(page: str, file: str, cold_prefix: str, cold_count: int, file_kb: int) -> None:
    upstream = BenchUpstream()
    upstream.add_project(page, VERSIONS)
    upstream.add_project(file, ("1.0.0",), payload_size=file_kb * 1024)
    for index in range(cold_count):
        upstream.add_project(f"{cold_prefix}-{index:03d}", VERSIONS)
    print(upstream.url, flush=True)
    upstream.server.serve_forever()


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]), int(sys.argv[5]))
