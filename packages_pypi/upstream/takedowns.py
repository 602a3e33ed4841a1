"""Following the upstream: a file gone from its page is taken down here too, and recorded.

Each record is an UpstreamEvent row (the Django admin lists them, with the file), an
instance-wide audit event (administrators read those in the audit log) and a line on the
`registry.security` logger.
"""

import logging

from django.utils import timezone

from packages_pypi.public_generation import public_generation_replace
from packages_pypi.upstream.models import UpstreamEvent, UpstreamFile
from packages_pypi.upstream.pages import UpstreamEntry
from projects.audit.services import audit_event_record

security_log = logging.getLogger("registry.security")


def security_event_record(*, kind: str, name: str, file_name: str = "", sha256: str = "",
                          detail: str = "") -> None:
    """Keep a security event for admins, and log it."""
    event = UpstreamEvent.objects.create(
        kind=kind, normalized_name=name, file_name=file_name, sha256=sha256, detail=detail
    )
    audit_event_record(
        author=None, author_name="Upstream proxy", entity=None, target=event,
        event_name=f"pypi_upstream_{kind}", target_details=file_name or name,
        message=f"Upstream {event.get_kind_display()}: {file_name or name}",
        details={"package_name": name, "file_name": file_name, "sha256": sha256,
                 "detail": detail},
    )
    security_log.warning(
        "upstream %s: %s %s %s", kind, name, file_name or "-", detail or "", extra={
            "event": f"upstream_{kind}", "package": name, "file": file_name, "sha256": sha256,
        },
    )


def takedowns_apply(*, name: str, old: list[UpstreamEntry], new: list[UpstreamEntry],
                    old_status: str, new_status: str) -> None:
    """Record and mark the files of `old` that `new` no longer lists; note a quarantine."""
    listed = {(entry.sha256, entry.filename) for entry in new}
    now = timezone.now()
    taken_down = False
    for entry in old:
        if (entry.sha256, entry.filename) in listed:
            continue
        UpstreamFile.objects.filter(
            sha256=entry.sha256, file_name=entry.filename, taken_down_at=None
        ).update(taken_down_at=now)
        taken_down = True
        security_event_record(
            kind=UpstreamEvent.Kind.TAKEDOWN, name=name, file_name=entry.filename,
            sha256=entry.sha256, detail="no longer listed upstream; no longer served",
        )
    if taken_down:
        # Kept anonymous pages and downloads end at the page's TTL anyway; this ends them now.
        public_generation_replace()
    if new_status == "quarantined" and old_status != "quarantined":
        security_event_record(
            kind=UpstreamEvent.Kind.QUARANTINE, name=name,
            detail="quarantined upstream; its files are no longer served",
        )
    # A file listed again (a takedown undone upstream) is served again: one query, not one a file.
    relisted = [
        pk for pk, sha256, file_name in UpstreamFile.objects.filter(
            normalized_name=name, taken_down_at__isnull=False
        ).values_list("pk", "sha256", "file_name")
        if (sha256, file_name) in listed
    ]
    if relisted:
        UpstreamFile.objects.filter(pk__in=relisted).update(taken_down_at=None)
