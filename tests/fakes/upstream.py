"""A stand-in for pypi.org: a PEP 503 index on 127.0.0.1 serving wheels it was given."""

import hashlib
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from packaging.utils import canonicalize_name


class FakeUpstream:
    """Serves `/simple/<name>/` and `/files/<filename>` for the distributions added to it."""

    def __init__(self) -> None:
        self.files: dict[str, bytes] = {}
        self.requests: list[str] = []
        upstream = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                upstream.requests.append(self.path)
                body, status = upstream.answer(self.path)
                self.send_response(status)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def add(self, filename: str, data: bytes) -> None:
        self.files[filename] = data

    def answer(self, path: str) -> tuple[bytes, int]:
        if path.startswith("/files/") and path[7:] in self.files:
            return self.files[path[7:]], 200
        if path.startswith("/simple/"):
            name = path[8:].strip("/")
            links = "".join(
                f'<a href="{self.url}/files/{filename}#sha256='
                f'{hashlib.sha256(data).hexdigest()}">{filename}</a>'
                for filename, data in self.files.items()
                if canonicalize_name(filename.split("-")[0]) == name
            )
            if links:
                return f"<!DOCTYPE html><html><body>{links}</body></html>".encode(), 200
        return b"not found", 404

    def __enter__(self) -> "FakeUpstream":
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()
