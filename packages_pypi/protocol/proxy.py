"""Proxy mode at the protocol's edge: upstream pages rendered by our index, upstream files
served through our files route. The guard and the policy decide; packages_pypi.upstream does.
"""

import datetime

from django.conf import settings
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.http.response import HttpResponseBase
from django.utils import timezone
from packaging.utils import (
    InvalidSdistFilename,
    InvalidWheelFilename,
    parse_sdist_filename,
    parse_wheel_filename,
)
from rest_framework.renderers import BaseRenderer

from packages_pypi.protocol import index_cache, simple
from packages_pypi.protocol.delivery import attachment, conditional_file_response, serve_file
from packages_pypi.protocol.forwarding import forwardable_name
from packages_pypi.upstream import files, policy
from packages_pypi.upstream.cache import CachedPage, upstream_page_get
from packages_pypi.upstream.client import UpstreamUnavailable
from packages_pypi.upstream.config import UpstreamConfig, upstream_config
from packages_pypi.upstream.pages import UpstreamEntry
from projects.models import Group
from projects.principals import Principal
from registry.http.exceptions import NotFound


def proxied_page(
    request: HttpRequest, principal: Principal, *, group: Group, name: str,
    renderer: BaseRenderer, files_url: str, config: UpstreamConfig,
) -> HttpResponse:
    """The upstream's page for `name` (already through the guard), as our own page."""
    page = _page(config, name)
    now = timezone.now()
    entries = policy.served(config.policy, name, page.installable, now)
    display = page.name
    sizes = files.cached_sizes(name, entries)
    response = index_cache.conditional(request, principal, simple.page_response(
        simple.ProjectPage(
            [entry.file_entry(display, stored_size=sizes.get(entry.sha256))
             for entry in entries], normalized_name=name,
            files_url=files_url, status=page.status, status_reason=page.status_reason,
        ),
        renderer,
    ))
    return index_cache.keep_for(response, _rendering_lifetime(config, page, now))


# While the upstream fails, the stale page we serve is kept this long before we ask again.
STALE_RETRY_SECONDS = 30
# With a minimum release age, a file comes of age with time alone: render again this often.
AGE_RULE_SECONDS = 60


def _rendering_lifetime(config: UpstreamConfig, page: CachedPage, now: datetime.datetime) -> int:
    """How long our rendering of `page` may be kept (the anonymous public cache): never past
    the page's own freshness, so a revalidation, and the takedowns and yanks it brings, is
    never hidden behind it. Our own rows and settings end it sooner: their writes replace the
    public generation it is kept under."""
    if config.offline:
        # Nothing upstream is asked until an admin turns this off (a settings write).
        lifetime = settings.REGISTRY_PYPI_UPSTREAM_TTL
    elif page.stale:  # the upstream failed: ask it again soon, not on every request
        lifetime = STALE_RETRY_SECONDS
    else:
        lifetime = max(int(page.fresh_for(now)), 0)
    if config.policy.min_release_age_hours:
        lifetime = min(lifetime, AGE_RULE_SECONDS)
    return lifetime


def proxied_file(
    request: HttpRequest, principal: Principal, *, group: Group, sha256: str, filename: str,
    metadata: bool,
) -> HttpResponseBase:
    """An upstream file (or its PEP 658 metadata) that our page for its name lists."""
    # For anonymous callers, a stored file is found as their page was: kept under the public
    # generation for as long as the page it is listed on.
    slot = index_cache.PublicSlot(request, principal, ("upstream-file", group.pk, sha256.lower(),
                                                       filename, metadata))
    if (kept := slot.get()) is not None:
        files.file_used(kept)
        return serve_file(request, kept)
    config = upstream_config(group)
    name = _name_of(filename)
    if not config.proxy or name is None or forwardable_name(
        principal=principal, group=group, requested_name=name
    ) is None:
        raise NotFound("Package")
    page = _page(config, name)
    entry = _served_entry(config, page, sha256, filename)
    row = files.upstream_file_for(name, entry)
    if metadata:
        return _metadata_response(request, row, entry, config)
    if row.cached:
        slot.set(row, _rendering_lifetime(config, page, timezone.now()))
        files.file_used(row)
        return serve_file(request, row)
    if config.offline:
        raise UpstreamUnavailable(f"the registry is offline and has not cached {filename}")
    if not files.fetch_claim(row):
        return serve_file(request, files.fetch_wait(row))
    if request.method == "HEAD":
        return serve_file(request, files.fetch_to_storage(row, entry))
    return _stream_response(files.FileStream(row, entry))


def upstream_explanation(principal: Principal, *, group: Group, requested_name: str) -> dict:
    """Why each upstream file of a name is served or left out, for the group's admins."""
    config = upstream_config(group)
    name = forwardable_name(principal=principal, group=group, requested_name=requested_name)
    answer: dict = {"name": name or requested_name, "mode": config.mode,
                    "forwarding": config.forwarding, "offline": config.offline}
    reason = _not_proxied(config, name)
    if reason or name is None:
        return answer | {"proxied": False, "reason": reason, "files": []}
    page = _page(config, name)
    verdicts = policy.judge(config.policy, name, page.files, timezone.now())
    quarantined = page.status == "quarantined"
    return answer | {
        "proxied": True, "status": page.status, "status_reason": page.status_reason,
        "files": [{
            "filename": v.entry.filename, "version": v.entry.version, "sha256": v.entry.sha256,
            "upload_time": v.entry.upload_time, "yanked": v.entry.yanked_reason,
            "result": "quarantined upstream" if quarantined else v.reason,
        } for v in verdicts],
    }


def _not_proxied(config: UpstreamConfig, name: str | None) -> str:
    if not config.forwarding:
        return "forwarding is off"
    if not config.proxy:
        return f"the mode is {config.mode}"
    if name is None:
        return "the name is private in this group's tree, or not a valid name"
    if not policy.name_allowed(config.policy, name):
        return "allowlist: the name is not on the allowlist"
    return ""


def _page(config: UpstreamConfig, name: str) -> CachedPage:
    if not policy.name_allowed(config.policy, name):
        raise NotFound("Package")
    page = upstream_page_get(name, offline=config.offline)
    if page is None:
        raise NotFound("Package")
    return page


def _served_entry(config: UpstreamConfig, page: CachedPage, sha256: str,
                  filename: str) -> UpstreamEntry:
    entry = page.entry(sha256, filename)
    if entry is None or not policy.judge(
        config.policy, page.name, [entry], timezone.now()
    )[0].served:
        raise NotFound("Package")
    return entry


def _metadata_response(request: HttpRequest, row: files.UpstreamFile, entry: UpstreamEntry,
                       config: UpstreamConfig) -> HttpResponse:
    if not entry.core_metadata_sha256:
        raise NotFound("Package")
    if row.core_metadata is None and config.offline:
        raise UpstreamUnavailable(f"the registry is offline and has not cached {entry.filename}")
    response = HttpResponse(files.core_metadata_get(row, entry), content_type="text/plain")
    response["ETag"] = f'"{entry.core_metadata_sha256}"'
    return conditional_file_response(request, response, last_modified=row.created_at)


def _stream_response(stream: files.FileStream) -> StreamingHttpResponse:
    response = StreamingHttpResponse(stream, content_type="application/octet-stream")
    if (length := stream.content_length) is not None:
        # A short body (the held-back last chunk of a tampered file) then fails the client.
        response["Content-Length"] = str(length)
    response["ETag"] = f'"{stream.entry.sha256}"'
    response["Content-Disposition"] = attachment(stream.entry.filename)
    return response


def _name_of(filename: str) -> str | None:
    try:
        if filename.endswith(".whl"):
            return parse_wheel_filename(filename)[0]
        if filename.endswith((".tar.gz", ".zip")):
            return parse_sdist_filename(filename)[0]
    except (InvalidWheelFilename, InvalidSdistFilename):
        return None
    return None
