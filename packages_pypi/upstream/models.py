"""What the proxy keeps of the upstream: pages, files, and the security events it saw.

Cached upstream files are not packages of any project: they have rows of their own, so the
Packages API, project pages and the hosted indexes never see them.
"""

import uuid

from django.db import models

from packages_pypi.blobs import BLOB_PREFIX

# Under the blob prefix, so that registry_check lists them; `upstream` is no project id.
UPSTREAM_BLOB_PREFIX = f"{BLOB_PREFIX}upstream/"


def upstream_blob_key(instance: "UpstreamFile", filename: str) -> str:
    return f"{UPSTREAM_BLOB_PREFIX}{uuid.uuid4().hex}/{filename}"


class UpstreamPage(models.Model):
    """The upstream's page for one name, parsed: what every app server serves until it expires."""

    normalized_name = models.CharField(max_length=255, unique=True)
    # The parsed files (packages_pypi.upstream.pages.UpstreamEntry as dicts).
    files = models.JSONField(default=list)
    status = models.CharField(max_length=32, default="active")
    status_reason = models.TextField(blank=True)
    etag = models.CharField(max_length=512, blank=True)
    last_modified = models.CharField(max_length=128, blank=True)
    # When the upstream last confirmed the page (200 or 304): the TTL counts from here.
    validated_at = models.DateTimeField()
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return self.normalized_name


class UpstreamFile(models.Model):
    """An upstream distribution file we were asked for: its blob once fetched and verified."""

    normalized_name = models.CharField(max_length=255)
    version = models.CharField(max_length=255)
    file_name = models.CharField(max_length=255)
    sha256 = models.CharField(max_length=64)
    size = models.BigIntegerField(default=0)
    url = models.TextField()
    # Empty until the bytes have been fetched and their sha256 matched the page.
    file = models.FileField(upload_to=upstream_blob_key, max_length=1024, blank=True)
    core_metadata = models.BinaryField(null=True, blank=True)
    core_metadata_sha256 = models.CharField(max_length=64, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)  # first use
    last_used_at = models.DateTimeField(null=True, blank=True)
    # Set when the file left the upstream's page: no longer served; the blob goes later.
    taken_down_at = models.DateTimeField(null=True, blank=True)
    # One app server fetches at a time: it holds the lease, the others wait for the blob.
    fetch_lease_until = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["sha256", "file_name"], name="upstream_file_unique"),
        ]
        indexes = [
            models.Index(fields=["normalized_name"]),
            models.Index(fields=["last_used_at"]),
        ]

    def __str__(self) -> str:
        return self.file_name

    @property
    def cached(self) -> bool:
        return bool(self.file)


class UpstreamEventKind(models.TextChoices):
    TAKEDOWN = "takedown", "taken down upstream"
    HASH_MISMATCH = "hash_mismatch", "bytes did not match the upstream's sha256"
    QUARANTINE = "quarantine", "quarantined upstream"


class UpstreamEvent(models.Model):
    """A security event the proxy saw (until the audit events land, the lead wires them)."""

    Kind = UpstreamEventKind

    kind = models.CharField(max_length=32, choices=Kind.choices)
    normalized_name = models.CharField(max_length=255)
    file_name = models.CharField(max_length=255, blank=True)
    sha256 = models.CharField(max_length=64, blank=True)
    detail = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        indexes = [models.Index(fields=["-created_at"])]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.file_name or self.normalized_name}"
