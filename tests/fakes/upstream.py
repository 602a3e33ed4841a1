"""A stand-in for pypi.org on 127.0.0.1: PEP 691 JSON and PEP 503 HTML pages of the wheels it
was given, with ETags, PEP 658 metadata, yanks, upload times and project status; it can change
between requests (a new release, a yank, a takedown, tampered bytes), misbehave on purpose
(`hostile`), and be stopped. It records every request it gets."""

import contextlib
import datetime
import functools
import hashlib
import io
import json
import socket
import threading
import time
import zipfile
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from packaging.utils import canonicalize_name, parse_sdist_filename, parse_wheel_filename

MIME_JSON = "application/vnd.pypi.simple.v1+json"


@dataclass
class UpstreamFile:
    filename: str
    data: bytes
    upload_time: datetime.datetime | None = None
    yanked: str | None = None  # None: not yanked; "" yanked without a reason
    requires_python: str = ""
    served_bytes: bytes | None = None  # tampered: what is sent instead of `data`
    metadata: bytes | None = None

    @functools.cached_property
    def name(self) -> str:  # once: every page request looks at every file's name
        return self._parsed[0]

    @property
    def version(self) -> str:
        return str(self._parsed[1])

    @functools.cached_property
    def _parsed(self) -> tuple:
        if self.filename.endswith(".whl"):
            return parse_wheel_filename(self.filename)[:2]
        return parse_sdist_filename(self.filename)

    @functools.cached_property
    def sha256(self) -> str:  # computed once: a 200 MB file is hashed for every page otherwise
        return hashlib.sha256(self.data).hexdigest()


@dataclass
class Hostile:
    """Misbehaviour for one name's page: any of these."""

    status: int | None = None
    body: bytes | None = None
    content_type: str | None = None
    redirect_to: str | None = None
    stall_seconds: float = 0.0
    file_url_prefix: str | None = None  # file URLs point here instead of at the stand-in
    extra: dict = field(default_factory=dict)


class FakeUpstream:
    """Serves `/simple/<name>/`, `/files/<filename>` and `/files/<filename>.metadata`."""

    def __init__(self, *, json_pages: bool = True) -> None:
        self.files: dict[str, UpstreamFile] = {}
        self.requests: list[str] = []
        self.json_pages = json_pages
        self.status: dict[str, tuple[str, str]] = {}
        self.hostile: dict[str, Hostile] = {}
        self.file_delay = 0.0  # seconds before a file's bytes (concurrency tests)
        self.file_redirects: dict[str, str] = {}  # filename -> where its download redirects
        self._lock = threading.Lock()
        self._connections: set[socket.socket] = set()
        upstream = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            # Headers and body go out in two writes: with Nagle on, a client that keeps the
            # connection alive waits for its own delayed ACK (40 ms) before the body.
            disable_nagle_algorithm = True

            def setup(self) -> None:
                super().setup()
                upstream._connections.add(self.connection)

            def finish(self) -> None:
                upstream._connections.discard(self.connection)
                super().finish()

            def do_GET(self) -> None:
                with upstream._lock:
                    upstream.requests.append(self.path)
                upstream.handle(self)

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.running = False

    # --- what the tests change -------------------------------------------------------------

    def add(self, filename: str, data: bytes, **fields: object) -> UpstreamFile:
        entry = UpstreamFile(filename, data, metadata=_wheel_metadata(filename, data),
                             **fields)  # type: ignore[arg-type]
        self.files[filename] = entry
        return entry

    def remove(self, filename: str) -> None:
        del self.files[filename]

    def asked_for(self, text: str) -> list[str]:
        """The requests whose path contains `text`."""
        return [path for path in self.requests if text in path]

    def stop(self) -> None:
        """Stop answering, kept-alive connections included: as if the machine were gone."""
        if self.running:
            self.server.shutdown()
            self.server.server_close()
            for connection in list(self._connections):
                with contextlib.suppress(OSError):
                    connection.shutdown(socket.SHUT_RDWR)
            self.running = False

    # --- answers ---------------------------------------------------------------------------

    def handle(self, request: BaseHTTPRequestHandler) -> None:
        path = request.path.split("?")[0]
        if path.startswith("/simple/"):
            self._page(request, canonicalize_name(path[8:].strip("/")))
        elif path.startswith("/files/"):
            self._file(request, path[7:])
        else:
            _send(request, 404, b"not found")

    def _page(self, request: BaseHTTPRequestHandler, name: str) -> None:
        hostile = self.hostile.get(name, Hostile())
        if hostile.stall_seconds:
            time.sleep(hostile.stall_seconds)
        if hostile.redirect_to:
            _send(request, 302, b"", {"Location": hostile.redirect_to})
            return
        files = [f for f in self.files.values() if f.name == name]
        if not files and hostile.body is None:
            _send(request, 404, b"not found")
            return
        wants_json = self.json_pages and MIME_JSON in request.headers.get("Accept", "")
        if hostile.body is not None:
            body = hostile.body
        elif wants_json:
            body = self._json(name, files, hostile)
        else:
            body = self._html(name, files, hostile)
        content_type = hostile.content_type or (MIME_JSON if wants_json else "text/html")
        etag = f'"{hashlib.sha256(body).hexdigest()[:16]}"'
        if request.headers.get("If-None-Match") == etag and hostile.status is None:
            _send(request, 304, b"", {"ETag": etag})
            return
        _send(request, hostile.status or 200, body, {"Content-Type": content_type, "ETag": etag,
                                                     "Cache-Control": "max-age=600"})

    def _file_url(self, entry: UpstreamFile, hostile: Hostile) -> str:
        return f"{hostile.file_url_prefix or self.url + '/files/'}{entry.filename}"

    def _json(self, name: str, files: list[UpstreamFile], hostile: Hostile) -> bytes:
        status, reason = self.status.get(name, ("active", ""))
        payload = {
            "meta": {"api-version": "1.4"}, "name": name,
            "project-status": {"status": status, **({"reason": reason} if reason else {})},
            "versions": sorted({f.version for f in files}),
            "files": [self._json_file(f, hostile) for f in files],
        }
        return json.dumps(payload).encode()

    def _json_file(self, entry: UpstreamFile, hostile: Hostile) -> dict:
        metadata = (
            {"sha256": hashlib.sha256(entry.metadata).hexdigest()} if entry.metadata else False
        )
        item: dict = {
            "filename": entry.filename, "url": self._file_url(entry, hostile),
            "hashes": {"sha256": entry.sha256}, "size": len(entry.data),
            "requires-python": entry.requires_python or None,
            "core-metadata": metadata, "data-dist-info-metadata": metadata,
            "yanked": (entry.yanked or True) if entry.yanked is not None else False,
        }
        if entry.upload_time is not None:
            item["upload-time"] = entry.upload_time.strftime("%Y-%m-%dT%H:%M:%S.%fZ")
        return item

    def _html(self, name: str, files: list[UpstreamFile], hostile: Hostile) -> bytes:
        status, reason = self.status.get(name, ("active", ""))
        meta = f'<meta name="pypi:project-status" content="{status}">'
        if reason:
            meta += f'<meta name="pypi:project-status-reason" content="{reason}">'
        links = []
        for entry in files:
            attributes = ""
            if entry.requires_python:
                attributes += f' data-requires-python="{entry.requires_python}"'
            if entry.yanked is not None:
                attributes += f' data-yanked="{entry.yanked}"'
            if entry.metadata:
                digest = hashlib.sha256(entry.metadata).hexdigest()
                attributes += f' data-core-metadata="sha256={digest}"'
            links.append(f'<a href="{self._file_url(entry, hostile)}#sha256={entry.sha256}"'
                         f'{attributes}>{entry.filename}</a>')
        return (f"<!DOCTYPE html><html><head>{meta}</head><body>{''.join(links)}</body>"
                "</html>").encode()

    def _file(self, request: BaseHTTPRequestHandler, filename: str) -> None:
        if filename.endswith(".metadata"):
            entry = self.files.get(filename.removesuffix(".metadata"))
            if entry is None or entry.metadata is None:
                _send(request, 404, b"not found")
            else:
                _send(request, 200, entry.metadata, {"Content-Type": "text/plain"})
            return
        entry = self.files.get(filename)
        if entry is None:
            _send(request, 404, b"not found")
            return
        if filename in self.file_redirects:
            _send(request, 302, b"", {"Location": self.file_redirects[filename]})
            return
        if self.file_delay:
            time.sleep(self.file_delay)
        data = entry.served_bytes if entry.served_bytes is not None else entry.data
        _send(request, 200, data, {"Content-Type": "application/octet-stream"})

    def __enter__(self) -> "FakeUpstream":
        self.thread.start()
        self.running = True
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def _send(request: BaseHTTPRequestHandler, status: int, body: bytes,
          headers: dict[str, str] | None = None) -> None:
    try:
        request.send_response(status)
        for name, value in (headers or {}).items():
            request.send_header(name, value)
        request.send_header("Content-Length", str(len(body)))
        request.end_headers()
        view = memoryview(body)
        for start in range(0, len(body), 1024 * 1024):
            request.wfile.write(view[start:start + 1024 * 1024])
    except (BrokenPipeError, ConnectionResetError):
        pass  # the registry gave up reading (a bound, a timeout): that is the test's point


def _wheel_metadata(filename: str, data: bytes) -> bytes | None:
    if not filename.endswith(".whl"):
        return None
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            member = next(n for n in archive.namelist() if n.endswith(".dist-info/METADATA"))
            return archive.read(member)
    except (zipfile.BadZipFile, StopIteration):
        return None
