"""Upstream pages in the database, so that every app server serves the same copy.

A page is served as it is for `REGISTRY_PYPI_UPSTREAM_TTL` seconds, then revalidated with its
ETag and Last-Modified (a 304 renews it). When the upstream fails, the cached page is served
however stale; a refused answer (malformed, oversized, a wrong host) caches nothing.
"""

import dataclasses
import datetime
import logging
from dataclasses import dataclass

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from packages_pypi.upstream import client, pages
from packages_pypi.upstream.client import UpstreamError, UpstreamRefused, UpstreamUnavailable
from packages_pypi.upstream.models import UpstreamPage
from packages_pypi.upstream.pages import STATUS_ACTIVE, UpstreamEntry
from packages_pypi.upstream.takedowns import takedowns_apply

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class CachedPage:
    name: str
    files: list[UpstreamEntry]
    status: str = STATUS_ACTIVE
    status_reason: str = ""
    # When the upstream last confirmed the page; its TTL counts from here.
    validated_at: datetime.datetime | None = None
    # Served past its TTL because the upstream failed to revalidate it.
    stale: bool = False

    def fresh_for(self, now: datetime.datetime) -> float:
        """Seconds until the page is due for revalidation (0 or less: due now)."""
        if self.validated_at is None:
            return 0.0
        ttl = datetime.timedelta(seconds=settings.REGISTRY_PYPI_UPSTREAM_TTL)
        return (self.validated_at + ttl - now).total_seconds()

    @property
    def installable(self) -> list[UpstreamEntry]:
        # PEP 792: a quarantined project offers no file at all.
        return [] if self.status == "quarantined" else self.files

    def entry(self, sha256: str, filename: str) -> UpstreamEntry | None:
        sha256 = sha256.lower()
        return next(
            (e for e in self.installable if e.sha256 == sha256 and e.filename == filename), None
        )


def page_url(name: str) -> str:
    return f"{settings.REGISTRY_PYPI_UPSTREAM_URL}/{name}/"


def upstream_page_get(name: str, *, offline: bool = False) -> CachedPage | None:
    """The upstream's page for `name` (normalised), None when the upstream has no such name.

    Raises UpstreamError (502) when there is no cached copy and the upstream cannot give one.
    """
    row = UpstreamPage.objects.filter(normalized_name=name).first()
    fresh_after = timezone.now() - datetime.timedelta(seconds=settings.REGISTRY_PYPI_UPSTREAM_TTL)
    if row is not None and (offline or row.validated_at > fresh_after):
        return _cached(row)
    if offline:
        raise UpstreamUnavailable(f"the registry is offline and has never fetched {name!r}")
    try:
        return _refresh(name, row)
    except UpstreamError as error:
        if row is None:
            raise
        logger.warning("upstream page of %s: %s; serving the cached copy", name, error.reason)
        return dataclasses.replace(_cached(row), stale=True)


def _cached(row: UpstreamPage) -> CachedPage:
    return CachedPage(
        name=row.normalized_name, files=pages.entries_from_json(row.files),
        status=row.status, status_reason=row.status_reason, validated_at=row.validated_at,
    )


def _refresh(name: str, row: UpstreamPage | None) -> CachedPage | None:
    headers = {"Accept": pages.ACCEPT}
    if row is not None and row.etag:
        headers["If-None-Match"] = row.etag
    if row is not None and row.last_modified:
        headers["If-Modified-Since"] = row.last_modified
    fetched = client.fetch(
        page_url(name), headers=headers, max_bytes=settings.REGISTRY_PYPI_UPSTREAM_MAX_PAGE_BYTES
    )
    if fetched.status == 304 and row is not None:
        row.validated_at = timezone.now()
        UpstreamPage.objects.filter(pk=row.pk).update(validated_at=row.validated_at)
        return _cached(row)
    if fetched.status == 404:
        _forget(name, row)
        return None
    if fetched.status != 200:
        raise UpstreamRefused(f"answered {fetched.status} for {name!r}")
    parsed = pages.parse_page(
        content_type=fetched.content_type, body=fetched.body, page_url=fetched.url, name=name
    )
    return _store(name, parsed, fetched)


def _store(name: str, parsed: pages.ParsedPage, fetched: client.Fetched) -> CachedPage:
    with transaction.atomic():
        # Locked, so that two servers refreshing at once record each takedown once.
        old = UpstreamPage.objects.select_for_update().filter(normalized_name=name).first()
        if old is not None:
            takedowns_apply(
                name=name, old=pages.entries_from_json(old.files), new=parsed.files,
                old_status=old.status, new_status=parsed.status,
            )
        fields = {
            "files": [entry.as_dict() for entry in parsed.files],
            "status": parsed.status, "status_reason": parsed.status_reason[:2000],
            "etag": fetched.etag[:512], "last_modified": fetched.last_modified[:128],
            "validated_at": timezone.now(),
        }
        # The row we locked, or a new one: not update_or_create, which would look it up
        # again (a cold miss is on the client's clock).
        row = old or _created(name, fields)
        if old is not None:
            for field, value in fields.items():
                setattr(row, field, value)
            row.save(update_fields=list(fields))
    return _cached(row)


def _created(name: str, fields: dict) -> UpstreamPage:
    try:
        with transaction.atomic():
            return UpstreamPage.objects.create(normalized_name=name, **fields)
    except IntegrityError:  # another server stored it first: ours is as new
        UpstreamPage.objects.filter(normalized_name=name).update(**fields)
        return UpstreamPage.objects.get(normalized_name=name)


def _forget(name: str, row: UpstreamPage | None) -> None:
    """The upstream no longer has the name: every file we knew of it is taken down."""
    if row is None:
        return
    with transaction.atomic():
        takedowns_apply(
            name=name, old=pages.entries_from_json(row.files), new=[],
            old_status=row.status, new_status=row.status,
        )
        UpstreamPage.objects.filter(pk=row.pk).delete()
