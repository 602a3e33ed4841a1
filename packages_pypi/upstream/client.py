"""HTTP to the upstream, which is untrusted input: allowed hosts only, bounded, timed out.

- A URL is fetched only from the upstream's own scheme, host and port, or from a file host of
  `REGISTRY_PYPI_UPSTREAM_FILE_HOSTS` over https or http on its default port.
- Redirects are followed by hand, and only within the host they start on.
- A host other than the upstream's own must not resolve to a loopback, private, link-local
  or reserved address: a crafted page cannot make us fetch from the inside (SSRF).
- Every read has connect and read timeouts; pages and metadata have a byte bound and a
  deadline, and the bound counts decoded bytes (a gzip bomb stops at the bound).
"""

import ipaddress
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from urllib.parse import urljoin, urlsplit

import requests
from django.conf import settings

from registry.http.exceptions import RegistryError

CHUNK_SIZE = 256 * 1024
MAX_REDIRECTS = 3
_REDIRECTS = frozenset({301, 302, 303, 307, 308})
_DEFAULT_PORTS = {"http": 80, "https": 443}
USER_AGENT = "pypi-registry-proxy/1"


class UpstreamError(RegistryError):
    """502: the upstream could not give a usable answer; the message says why."""

    status_code = 502
    default_message = "502 Bad Gateway - the upstream index failed"

    def __init__(self, reason: str) -> None:
        super().__init__(f"502 Bad Gateway - upstream index: {reason}")
        self.reason = reason


class UpstreamUnavailable(UpstreamError):
    """The upstream did not answer: connection refused, timeout, a 5xx."""


class UpstreamRefused(UpstreamError):
    """The upstream answered something we refuse: a host not allowed, an oversized or
    malformed page, a wrong content type."""


@dataclass(frozen=True)
class Fetched:
    """A whole, bounded answer."""

    status: int
    url: str
    content_type: str
    etag: str
    last_modified: str
    body: bytes


_local = threading.local()


def _session() -> requests.Session:
    # One pooled session per thread: requests' Session is not documented as thread-safe.
    session = getattr(_local, "session", None)
    if session is None:
        session = _local.session = requests.Session()
        session.headers["User-Agent"] = USER_AGENT
    return session


def _origin(url: str) -> tuple[str, str, int]:
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    host = (parts.hostname or "").lower()
    try:
        port = parts.port or _DEFAULT_PORTS.get(scheme, 0)
    except ValueError as error:
        raise UpstreamRefused(f"a URL with a bad port: {url!r}") from error
    return scheme, host, port


def upstream_origin() -> tuple[str, str, int]:
    return _origin(settings.REGISTRY_PYPI_UPSTREAM_URL)


def check_url(url: str) -> None:
    """Raise UpstreamRefused unless `url` is one we may fetch (see the module's rules)."""
    scheme, host, port = _origin(url)
    if scheme not in _DEFAULT_PORTS or not host:
        raise UpstreamRefused(f"not an http(s) URL: {url!r}")
    if (scheme, host, port) == upstream_origin():
        return  # the configured upstream itself, wherever it lives (tests, a local mirror)
    file_hosts = {h.strip().lower() for h in settings.REGISTRY_PYPI_UPSTREAM_FILE_HOSTS if h}
    if host not in file_hosts or port != _DEFAULT_PORTS[scheme]:
        raise UpstreamRefused(f"a file URL on a host that is not allowed: {host}")
    _check_public_address(host)


def _check_public_address(host: str) -> None:
    try:
        addresses = {info[4][0] for info in socket.getaddrinfo(host, None)}
    except OSError as error:
        raise UpstreamUnavailable(f"cannot resolve {host}") from error
    for address in addresses:
        ip = ipaddress.ip_address(str(address).split("%")[0])
        if not ip.is_global or ip.is_multicast:
            raise UpstreamRefused(f"{host} resolves to a non-public address")


def _timeouts() -> tuple[float, float]:
    connect = settings.REGISTRY_PYPI_UPSTREAM_CONNECT_TIMEOUT
    return connect, settings.REGISTRY_PYPI_UPSTREAM_READ_TIMEOUT


@contextmanager
def open_stream(url: str, headers: dict[str, str] | None = None) -> Iterator[requests.Response]:
    """A streamed GET of `url`, redirects followed within its host; closed on leaving.

    Raises UpstreamRefused or UpstreamUnavailable; a 5xx is UpstreamUnavailable, other
    statuses are the caller's to judge.
    """
    response = _get(url, headers or {})
    try:
        yield response
    finally:
        response.close()


def _get(url: str, headers: dict[str, str]) -> requests.Response:
    for _ in range(MAX_REDIRECTS + 1):
        check_url(url)
        try:
            response = _session().get(
                url, headers=headers, stream=True, allow_redirects=False, timeout=_timeouts()
            )
        except requests.Timeout as error:
            raise UpstreamUnavailable(f"timed out fetching {url}") from error
        except requests.RequestException as error:
            raise UpstreamUnavailable(f"cannot reach {urlsplit(url).netloc}") from error
        if response.status_code not in _REDIRECTS:
            if response.status_code >= 500:
                response.close()
                raise UpstreamUnavailable(f"answered {response.status_code} for {url}")
            return response
        target = urljoin(url, response.headers.get("Location", ""))
        response.close()
        if _origin(target) != _origin(url):
            raise UpstreamRefused(f"a redirect to another host: {urlsplit(target).netloc}")
        url = target
    raise UpstreamRefused(f"more than {MAX_REDIRECTS} redirects")


def iter_bounded(response: requests.Response, *, max_bytes: int,
                 deadline: float | None = None) -> Iterator[bytes]:
    """The decoded body in chunks; UpstreamRefused past `max_bytes`, Unavailable past the
    deadline (monotonic seconds) or on a read timeout."""
    declared = response.headers.get("Content-Length", "")
    if declared.isdigit() and int(declared) > max_bytes:
        raise UpstreamRefused(f"the answer is larger than {max_bytes} bytes")
    received = 0
    try:
        for chunk in response.iter_content(CHUNK_SIZE):
            received += len(chunk)
            if received > max_bytes:
                raise UpstreamRefused(f"the answer is larger than {max_bytes} bytes")
            if deadline is not None and time.monotonic() > deadline:
                raise UpstreamUnavailable("the upstream is too slow")
            yield chunk
    except requests.RequestException as error:
        raise UpstreamUnavailable("the upstream stopped answering") from error


def fetch(url: str, *, headers: dict[str, str], max_bytes: int) -> Fetched:
    """The whole answer to a GET of `url` (a page or core metadata), bounded in size and time."""
    deadline = time.monotonic() + settings.REGISTRY_PYPI_UPSTREAM_PAGE_DEADLINE
    with open_stream(url, headers) as response:
        body = b"".join(iter_bounded(response, max_bytes=max_bytes, deadline=deadline))
        return Fetched(
            status=response.status_code,
            url=response.url or url,
            content_type=response.headers.get("Content-Type", ""),
            etag=response.headers.get("ETag", ""),
            last_modified=response.headers.get("Last-Modified", ""),
            body=body,
        )
