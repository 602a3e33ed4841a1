"""PyPI protocol endpoints at GitLab's paths: parse, access, one service or selector, respond.

DRF views with the REST API's authentication classes and exception handler (settings'
REST_FRAMEWORK). DRF never parses a body here: the upload streams through our hashing handler.
"""

import datetime
import functools
import hashlib
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db.models import Q
from django.http import HttpResponse, HttpResponseRedirect
from django.http.response import HttpResponseBase
from django.utils import timezone
from packaging.utils import canonicalize_name
from rest_framework.negotiation import BaseContentNegotiation
from rest_framework.parsers import BaseParser
from rest_framework.renderers import BaseRenderer, JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from packages_pypi import selectors
from packages_pypi.downloads import download_count
from packages_pypi.models import Package, PackageFile, ProjectStatus
from packages_pypi.name_status import NameStatus, name_status_get, name_status_in
from packages_pypi.protocol import index_cache, proxy, simple
from packages_pypi.protocol.delivery import conditional_file_response, serve_file
from packages_pypi.protocol.forwarding import forwardable_name, upstream_url_for
from packages_pypi.protocol.schema import (
    detail_schema,
    file_schema,
    index_schema,
    upload_schema,
    upstream_explanation_schema,
)
from packages_pypi.protocol.upload import receive_upload
from packages_pypi.services import package_file_add
from packages_pypi.upstream.config import upstream_config
from projects.access import (
    Ability,
    access_group,
    access_project,
    can,
    quarantine_readers_filter,
    readable_projects,
    readable_projects_filter,
)
from projects.models import Group, Project
from projects.principals import Principal, principal_of
from registry.http.errors import API_HEADERS
from registry.http.exceptions import NotFound, RegistryError

METADATA_SUFFIX = ".metadata"
# Without download counting (whose fold stamps it): recording every download would turn each
# pip install into a write; once a minute is enough.
DOWNLOAD_RECORD_RESOLUTION = datetime.timedelta(minutes=1)

Scope = selectors.Scope


def reason_phrase(message: str) -> str:
    """`message` as an HTTP reason phrase: printable ASCII, at most 200 characters.

    gunicorn answers a 500 "Invalid status" to anything outside Latin-1 (a filename in the
    message is enough), and pdm and hatch print "<status> <reason>", so the status code that
    GitLab's messages start with is dropped ("400 400 Bad request" otherwise).
    """
    text = message.encode("ascii", "backslashreplace").decode("ascii")
    text = re.sub(r"[^\x20-\x7e]+", " ", text)
    text = re.sub(r"^\d{3}(?:\s+|$)", "", text.strip())
    return text[:200].rstrip() or "Bad Request"


class GitLabJSONRenderer(JSONRenderer):
    """GitLab's JSON answers (`{"message": "201 Created"}`), spaced and ASCII as before."""

    compact = False
    ensure_ascii = True


class _FirstRenderer(BaseContentNegotiation):
    """One answer whatever the Accept header: a download or an upload is never a 406."""

    def select_parser(self, request: Any, parsers: Iterable[BaseParser]) -> None:
        return None

    def select_renderer(self, request: Any, renderers: Iterable[BaseRenderer],
                        format_suffix: str | None = None) -> tuple[BaseRenderer, str]:
        first = next(iter(renderers))
        return first, first.media_type


class ProtocolView(APIView):
    """What every PyPI endpoint shares: no body parsing by DRF, no OPTIONS description, errors
    as GitLab's JSON (a 400's reason phrase says what went wrong), and GitLab's API headers."""

    parser_classes: tuple = ()
    renderer_classes: tuple = (GitLabJSONRenderer,)
    content_negotiation_class: type[BaseContentNegotiation] = _FirstRenderer
    metadata_class = None
    http_method_names = ["get", "head"]

    def handle_exception(self, exc: Exception) -> Response:
        # An error is JSON even where the client negotiated an index page.
        self.request.accepted_renderer = GitLabJSONRenderer()
        self.request.accepted_media_type = GitLabJSONRenderer.media_type
        response = super().handle_exception(exc)
        if isinstance(exc, RegistryError) and exc.status_code in (400, 403):
            # twine shows the reason phrase; make it say what went wrong (a 403 may be a
            # protection rule: "Forbidden - Package protected.").
            response.reason_phrase = reason_phrase(exc.message)
        return response

    def finalize_response(self, request: Request, response: Any, *args: Any,
                          **kwargs: Any) -> Response:
        response = super().finalize_response(request, response, *args, **kwargs)
        for name, value in API_HEADERS.items():
            response.setdefault(name, value)
        return response


class PageView(ProtocolView):
    """A simple-index page: PEP 691 negotiation picks the HTML or the JSON renderer."""

    renderer_classes = simple.RENDERERS
    content_negotiation_class = simple.PEP691Negotiation


class ProjectUpload(ProtocolView):
    """POST /projects/:id/packages/pypi — the legacy upload API (twine, uv, poetry, flit)."""

    http_method_names = ["post"]

    @upload_schema
    def post(self, request: Request, ref: str) -> Response:
        principal = principal_of(request)
        project = access_project(principal, ref, Ability.CREATE_PACKAGE)
        # The Django request: its multipart body is parsed by our hashing handler only.
        form, received = receive_upload(request._request)
        package_file_add(project=project, principal=principal, form=form, received=received)
        return Response({"message": "201 Created"}, status=201)


class ProjectIndex(PageView):
    @index_schema
    def get(self, request: Request, ref: str) -> HttpResponse:
        principal = principal_of(request)
        return index_cache.public_page(
            request, principal, ("project-index", _ref_key(ref), _media_type(request)),
            lambda: self._page(request, principal, ref),
        )

    def _page(self, request: Request, principal: Principal, ref: str) -> HttpResponse:
        project = access_project(principal, ref, Ability.READ_PACKAGE)
        return _index_page(
            request, principal, project,
            title=project.name,
            simple_path=f"projects/{project.pk}/packages/pypi/simple",
            version=(project.pk, project.name, project.packages_serial),
        )


class ProjectDetail(PageView):
    @detail_schema
    def get(self, request: Request, ref: str, name: str) -> HttpResponse:
        principal = principal_of(request)
        return index_cache.public_page(
            request, principal, ("project", _ref_key(ref), name, _media_type(request)),
            lambda: self._page(request, principal, ref, name),
        )

    def _page(self, request: Request, principal: Principal, ref: str, name: str) -> HttpResponse:
        project = access_project(principal, ref, Ability.READ_PACKAGE)
        normalized = canonicalize_name(name)
        renderer = request.accepted_renderer
        readers = _quarantine_readers(principal, project)

        files_url = _absolute(request, f"projects/{project.pk}/packages/pypi/files")

        def render() -> HttpResponse:
            return _name_page(
                selectors.file_entries(project, normalized, quarantine_readers=readers),
                name_status_get(project, normalized), normalized, files_url, renderer,
            )

        # Whether the caller sees quarantined files is part of the key: a maintainer's page
        # must never be served to anyone else from the cache.
        key = index_cache.page_key(
            request, "project", normalized, project.pk, project.packages_serial,
            renderer.media_type, readers is not selectors.NOBODY,
        )
        try:
            return index_cache.cached_page(request, principal, key, render)
        except _Miss:
            # Outside the page cache: an upstream page lives by the upstream's TTL.
            return _miss(request, principal, project.namespace, name, files_url)


class ProjectFile(ProtocolView):
    @file_schema
    def get(self, request: Request, ref: str, sha256: str, filename: str) -> HttpResponseBase:
        principal = principal_of(request)

        def where() -> _Where:
            project = access_project(principal, ref, Ability.READ_PACKAGE)
            return project.namespace, project, _quarantine_readers(principal, project)

        return _download(request, principal, ("project-file", _ref_key(ref)), where, sha256,
                         filename)


class GroupIndex(PageView):
    @index_schema
    def get(self, request: Request, ref: str) -> HttpResponse:
        principal = principal_of(request)
        return index_cache.public_page(
            request, principal, ("group-index", _ref_key(ref), _media_type(request)),
            lambda: self._page(request, principal, ref),
        )

    def _page(self, request: Request, principal: Principal, ref: str) -> HttpResponse:
        group = access_group(principal, ref, Ability.READ_PACKAGE)
        projects = readable_projects(principal, group)
        # The tree serial changes with every package write below the group; the ids of the
        # projects the caller reads decide which of them the page shows.
        readable = list(projects.order_by("pk").values_list("pk", flat=True))
        return _index_page(
            request, principal, projects,
            title=group.name,
            simple_path=f"groups/{group.pk}/-/packages/pypi/simple",
            version=(group.pk, group.name, group.packages_serial, _digest(readable)),
        )


class GroupDetail(PageView):
    @detail_schema
    def get(self, request: Request, ref: str, name: str) -> HttpResponse:
        principal = principal_of(request)
        return index_cache.public_page(
            request, principal, ("group", _ref_key(ref), name, _media_type(request)),
            lambda: self._page(request, principal, ref, name),
        )

    def _page(self, request: Request, principal: Principal, ref: str, name: str) -> HttpResponse:
        group = access_group(principal, ref, Ability.READ_PACKAGE)
        # Driven by the name: only projects holding it are checked, however large the group.
        normalized = canonicalize_name(name)
        readable = readable_projects_filter(principal, group)
        quarantine = quarantine_readers_filter(principal)
        # Which of them the caller reads quarantined files of is part of the key too: a
        # maintainer's page must never be served to a developer of the same projects.
        holding = selectors.projects_holding_marked(readable, normalized, quarantine)
        renderer = request.accepted_renderer
        files_url = _absolute(request, f"groups/{group.pk}/-/packages/pypi/files")

        def render() -> HttpResponse:
            if not holding:
                raise _Miss()
            return _name_page(
                selectors.file_entries(readable, normalized, quarantine_readers=quarantine),
                name_status_in(readable, normalized), normalized, files_url, renderer,
            )

        key = index_cache.page_key(
            request, "group", normalized, group.pk, group.packages_serial,
            _holding_digest(holding), renderer.media_type,
        )
        try:
            return index_cache.cached_page(request, principal, key, render)
        except _Miss:
            return _miss(request, principal, group, name, files_url)


class GroupFile(ProtocolView):
    @file_schema
    def get(self, request: Request, ref: str, sha256: str, filename: str) -> HttpResponseBase:
        principal = principal_of(request)

        def where() -> _Where:
            group = access_group(principal, ref, Ability.READ_PACKAGE)
            # GitLab skips per-project checks here ("the sha256 is the protection"); we don't.
            return (group, readable_projects_filter(principal, group),
                    quarantine_readers_filter(principal))

        return _download(request, principal, ("group-file", _ref_key(ref)), where, sha256,
                         filename)


class GroupUpstreamExplanation(ProtocolView):
    """GET /groups/:id/-/packages/pypi/upstream/:name — which upstream files the proxy serves
    here, and the rule that removed each other one (group owners and admins)."""

    @upstream_explanation_schema
    def get(self, request: Request, ref: str, name: str) -> Response:
        principal = principal_of(request)
        group = access_group(principal, ref, Ability.ADMIN_GROUP)
        return Response(proxy.upstream_explanation(principal, group=group, requested_name=name))


def _quarantine_readers(principal: Principal, project: Project) -> Q:
    """The project as a quarantine reader's condition when `principal` may read its quarantined
    names, else `selectors.NOBODY` (the cache key tells the two apart by identity)."""
    if can(principal, Ability.READ_QUARANTINED, project):
        return Q(pk=project.pk)
    return selectors.NOBODY


def _ref_key(ref: str) -> str:
    # Paths are looked up case-insensitively; ids are digits.
    return ref.strip("/").lower()


def _media_type(request: Request) -> str:
    return request.accepted_renderer.media_type


def _holding_digest(holding: list[tuple[int, bool]]) -> str:
    return _digest([project_id * 2 + marked for project_id, marked in holding])


def _digest(ids: list[int]) -> str:
    """A short stand-in for a list of project ids in a cache key."""
    return hashlib.sha256(",".join(map(str, ids)).encode()).hexdigest()


def _index_page(
    request: Request, principal: Principal, scope: Scope, *, title: str, simple_path: str,
    version: tuple,
) -> HttpResponse:
    renderer = request.accepted_renderer
    return index_cache.cached_page(
        request, principal, index_cache.page_key(request, "index", *version, renderer.media_type),
        lambda: simple.page_response(simple.IndexPage(
            list(selectors.index_entries(scope)), title=title,
            simple_url=_absolute(request, simple_path),
        ), renderer),
    )


def _absolute(request: Request, path: str) -> str:
    # GitLab's links are absolute and use numeric ids (spec §1.8).
    return request.build_absolute_uri(f"/api/v4/{path}")


def _name_page(
    files: list[selectors.FileEntry], status: NameStatus, normalized: str, files_url: str,
    renderer: BaseRenderer,
) -> HttpResponse:
    """One name's page in scope; raises _Miss when there is nothing to show."""
    if not files and status.status != ProjectStatus.QUARANTINED:
        raise _Miss()
    # PEP 792: a quarantined name's page lists no files (but says why) to others.
    return simple.page_response(simple.ProjectPage(
        files, normalized_name=normalized, files_url=files_url,
        status=status.status, status_reason=status.reason,
    ), renderer)


class _Miss(Exception):
    """The name has no file in scope: the page is the upstream's business, not the cache's."""


def _miss(
    request: Request, principal: Principal, group: Group, requested_name: str, files_url: str
) -> HttpResponse:
    """404, GitLab's redirect, or the upstream's page through our proxy (issue 11)."""
    config = upstream_config(group)
    if not config.proxy:
        upstream = upstream_url_for(
            principal=principal, group=group, requested_name=requested_name
        )
        if upstream is None:
            raise index_cache.Miss()
        return HttpResponseRedirect(upstream)
    name = forwardable_name(principal=principal, group=group, requested_name=requested_name)
    if name is None:
        # Decided by our own rows alone: an anonymous caller's miss is cached (public_page).
        raise index_cache.Miss()
    return proxy.proxied_page(
        request._request, principal, group=group, name=name,
        renderer=request.accepted_renderer, files_url=files_url, config=config,
    )


# Where a download looks: the top-level group's tree (for the upstream), the projects in
# scope, and whose quarantined names the caller reads. Deciding it checks access.
_Where = tuple[Group, Scope, Q]


@dataclass(frozen=True)
class _Found:
    """What a download URL names: our file, or the group whose upstream may have it."""

    what: PackageFile | Group


def _download(
    request: Request, principal: Principal, parts: tuple[str, str],
    where: Callable[[], _Where], sha256: str, filename: str,
) -> HttpResponseBase:
    metadata = filename.endswith(METADATA_SUFFIX)
    # No distribution is named *.metadata (they end in .whl, .tar.gz or .zip).
    distribution = filename.removesuffix(METADATA_SUFFIX)
    decided = functools.cache(where)

    def find() -> _Found:
        """Our file, or (none of ours) the group whose upstream may have it."""
        group, scope, readers = decided()
        return _Found(selectors.file_for_download(
            scope, sha256, distribution, quarantine_readers=readers
        ) or group)

    # pip and uv ask for a file's metadata and then the file: for anonymous callers which
    # file a URL names is kept like a page, so neither request reads the database.
    found = index_cache.public_value(
        request, principal, (*parts, sha256.lower(), distribution), find
    )
    assert found is not None  # find() always answers
    package_file = found.what
    if isinstance(package_file, Group):
        # Not ours: perhaps an upstream file our proxied page listed.
        return proxy.proxied_file(
            request._request, principal, group=package_file, sha256=sha256,
            filename=distribution, metadata=metadata,
        )
    if metadata:
        return _core_metadata(request, package_file)
    if settings.REGISTRY_DOWNLOAD_COUNTING:
        download_count(package_file)  # the fold stamps last_downloaded_at too
    else:
        _record_download(package_file.package)
    return serve_file(request._request, package_file)


def _core_metadata(request: Request, package_file: PackageFile) -> HttpResponse:
    """PEP 658: `<file URL>.metadata` is the distribution's METADATA file."""
    if not package_file.core_metadata:
        raise NotFound("Package")
    response = HttpResponse(bytes(package_file.core_metadata), content_type="text/plain")
    response["ETag"] = f'"{package_file.core_metadata_sha256}"'
    return conditional_file_response(
        request._request, response, last_modified=package_file.created_at
    )


def _record_download(package: Package) -> None:
    now = timezone.now()
    stale = Q(last_downloaded_at__isnull=True) | Q(
        last_downloaded_at__lt=now - DOWNLOAD_RECORD_RESOLUTION
    )
    Package.objects.filter(stale, pk=package.pk).update(last_downloaded_at=now)
