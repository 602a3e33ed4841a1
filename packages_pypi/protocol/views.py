"""PyPI protocol endpoints at GitLab's paths: parse, access, one service or selector, respond."""

import datetime
import re
from collections.abc import Callable
from functools import wraps

from django.db.models import Q, QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.http.response import HttpResponseBase
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST, require_safe

from auth_tokens.authentication import authenticate_request
from packages_pypi import selectors
from packages_pypi.models import Package
from packages_pypi.names import normalize_name
from packages_pypi.protocol import index_cache, simple
from packages_pypi.protocol.delivery import serve_file
from packages_pypi.protocol.forwarding import upstream_url_for
from packages_pypi.protocol.upload import receive_upload
from packages_pypi.services import package_file_add
from projects.access import (
    Ability,
    access_group,
    access_project,
    readable_projects,
    readable_projects_filter,
)
from projects.models import Group, Project
from projects.principals import Principal
from registry.http.errors import API_HEADERS, error_response
from registry.http.exceptions import NotFound, RegistryError

METADATA_SUFFIX = ".metadata"
# Recording every download would turn each pip install into a write; once a minute is enough.
DOWNLOAD_RECORD_RESOLUTION = datetime.timedelta(minutes=1)

View = Callable[..., HttpResponseBase]
Scope = selectors.Scope


def pypi_endpoint(view: Callable[..., HttpResponseBase]) -> View:
    """Authenticate the caller, and render RegistryErrors the way GitLab does."""

    @wraps(view)
    def wrapper(request: HttpRequest, **kwargs: str) -> HttpResponseBase:
        try:
            response = view(request, authenticate_request(request), **kwargs)
        except RegistryError as error:
            response = error_response(error)
            if error.status_code == 400:
                # twine shows the reason phrase; make it say what went wrong.
                response.reason_phrase = reason_phrase(error.message)
        for name, value in API_HEADERS.items():
            response.setdefault(name, value)
        return response

    return wrapper


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


@csrf_exempt
@require_POST
@pypi_endpoint
def project_upload(request: HttpRequest, principal: Principal, ref: str) -> HttpResponse:
    """POST /projects/:id/packages/pypi — the legacy upload API (twine, uv, poetry, flit)."""
    project = access_project(principal, ref, Ability.CREATE_PACKAGE)
    form, received = receive_upload(request)
    package_file_add(project=project, principal=principal, form=form, received=received)
    return JsonResponse({"message": "201 Created"}, status=201)


@require_safe
@pypi_endpoint
def project_index(request: HttpRequest, principal: Principal, ref: str) -> HttpResponse:
    project = access_project(principal, ref, Ability.READ_PACKAGE)
    return _index_page(
        request, principal, project,
        title=project.name,
        simple_path=f"projects/{project.pk}/packages/pypi/simple",
        version=(project.pk, project.name, project.packages_serial),
    )


@require_safe
@pypi_endpoint
def project_detail(request: HttpRequest, principal: Principal, ref: str, name: str) -> HttpResponse:
    project = access_project(principal, ref, Ability.READ_PACKAGE)
    normalized = normalize_name(name)
    media_type = simple.negotiate(request.headers.get("Accept", ""))

    def render() -> HttpResponse:
        files = selectors.file_entries(project, normalized)
        if not files:
            return _miss(principal, project.namespace, name)
        return simple.project_response(
            files, normalized_name=normalized, media_type=media_type,
            files_url=_absolute(request, f"projects/{project.pk}/packages/pypi/files"),
        )

    key = index_cache.page_key(
        request, "project", normalized, project.pk, project.packages_serial, media_type
    )
    return index_cache.cached_page(request, principal, key, render)


@require_safe
@pypi_endpoint
def project_file(
    request: HttpRequest, principal: Principal, ref: str, sha256: str, filename: str
) -> HttpResponseBase:
    project = access_project(principal, ref, Ability.READ_PACKAGE)
    return _download(request, project, sha256, filename)


@require_safe
@pypi_endpoint
def group_index(request: HttpRequest, principal: Principal, ref: str) -> HttpResponse:
    group = access_group(principal, ref, Ability.READ_PACKAGE)
    projects = readable_projects(principal, group)
    return _index_page(
        request, principal, projects,
        title=group.name,
        simple_path=f"groups/{group.pk}/-/packages/pypi/simple",
        version=(group.pk, group.name, _serials(projects)),
    )


@require_safe
@pypi_endpoint
def group_detail(request: HttpRequest, principal: Principal, ref: str, name: str) -> HttpResponse:
    group = access_group(principal, ref, Ability.READ_PACKAGE)
    # Driven by the name: only projects holding it are checked, however large the group.
    files = selectors.file_entries(readable_projects_filter(principal, group), normalize_name(name))
    if not files:
        return _miss(principal, group, name)
    return index_cache.conditional(request, principal, simple.project_response(
        files,
        normalized_name=normalize_name(name),
        files_url=_absolute(request, f"groups/{group.pk}/-/packages/pypi/files"),
        media_type=simple.negotiate(request.headers.get("Accept", "")),
    ))


@require_safe
@pypi_endpoint
def group_file(
    request: HttpRequest, principal: Principal, ref: str, sha256: str, filename: str
) -> HttpResponseBase:
    group = access_group(principal, ref, Ability.READ_PACKAGE)
    # GitLab skips per-project checks here ("the sha256 is the protection"); we don't.
    return _download(request, readable_projects_filter(principal, group), sha256, filename)


def _serials(projects: QuerySet[Project]) -> list[tuple[int, int]]:
    """Which projects the caller reads, and their package serials: one query, and the key."""
    return list(projects.order_by("pk").values_list("pk", "packages_serial"))


def _index_page(
    request: HttpRequest, principal: Principal, scope: Scope, *, title: str, simple_path: str,
    version: tuple,
) -> HttpResponse:
    media_type = simple.negotiate(request.headers.get("Accept", ""))
    return index_cache.cached_page(
        request, principal, index_cache.page_key(request, "index", *version, media_type),
        lambda: simple.index_response(
            selectors.index_entries(scope), title=title,
            simple_url=_absolute(request, simple_path), media_type=media_type,
        ),
    )


def _absolute(request: HttpRequest, path: str) -> str:
    # GitLab's links are absolute and use numeric ids (spec §1.8).
    return request.build_absolute_uri(f"/api/v4/{path}")


def _miss(principal: Principal, group: Group, requested_name: str) -> HttpResponse:
    upstream = upstream_url_for(principal=principal, group=group, requested_name=requested_name)
    if upstream is None:
        raise NotFound("Package")
    return HttpResponseRedirect(upstream)


def _download(request: HttpRequest, scope: Scope, sha256: str, filename: str) -> HttpResponseBase:
    if filename.endswith(METADATA_SUFFIX):
        # No distribution is named *.metadata (they end in .whl, .tar.gz or .zip).
        return _core_metadata(scope, sha256, filename.removesuffix(METADATA_SUFFIX))
    package_file = selectors.file_for_download(scope, sha256, filename)
    if package_file is None:
        raise NotFound("Package")
    _record_download(package_file.package)
    return serve_file(request, package_file)


def _core_metadata(scope: Scope, sha256: str, filename: str) -> HttpResponse:
    """PEP 658: `<file URL>.metadata` is the distribution's METADATA file."""
    package_file = selectors.file_for_download(scope, sha256, filename)
    if package_file is None or not package_file.core_metadata:
        raise NotFound("Package")
    response = HttpResponse(bytes(package_file.core_metadata), content_type="text/plain")
    response["ETag"] = f'"{package_file.core_metadata_sha256}"'
    return response


def _record_download(package: Package) -> None:
    now = timezone.now()
    stale = Q(last_downloaded_at__isnull=True) | Q(
        last_downloaded_at__lt=now - DOWNLOAD_RECORD_RESOLUTION
    )
    Package.objects.filter(stale, pk=package.pk).update(last_downloaded_at=now)
