"""Packages (a name and version in a project) and their files."""

from django.conf import settings
from django.db import models
from django.db.models import Q

from packages_pypi.blobs import blob_key
from projects.models import Project


# GitLab's statuses and numbers (packages_packages.status, packages_package_files.status).
# Outside the models so that their constraints can name them.
class PackageStatus(models.IntegerChoices):
    DEFAULT = 0, "default"
    HIDDEN = 1, "hidden"
    PROCESSING = 2, "processing"
    ERROR = 3, "error"
    PENDING_DESTRUCTION = 4, "pending_destruction"


class PackageFileStatus(models.IntegerChoices):
    DEFAULT = 0, "default"
    PENDING_DESTRUCTION = 1, "pending_destruction"
    PROCESSING = 2, "processing"
    ERROR = 3, "error"


# What pip may install: a hidden package installs but is left out of lists (as in GitLab);
# of files, only DEFAULT ones.
INSTALLABLE = (PackageStatus.DEFAULT, PackageStatus.HIDDEN)


class Package(models.Model):
    """One version of a Python project in a registry project (GitLab's packages_packages row).

    Package-level metadata is the latest upload's, as in GitLab (spec §3.3).
    """

    Status = PackageStatus

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="pypi_packages")
    name = models.CharField(max_length=255)  # as uploaded
    normalized_name = models.CharField(max_length=255)  # PEP 503
    version = models.CharField(max_length=255)  # as uploaded
    canonical_version = models.CharField(max_length=255)  # PEP 440, for uniqueness
    status = models.IntegerField(choices=Status.choices, default=Status.DEFAULT)
    creator = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+",
    )
    requires_python = models.CharField(max_length=255, blank=True)
    summary = models.CharField(max_length=512, blank=True)
    description = models.TextField(blank=True)
    description_content_type = models.CharField(max_length=128, blank=True)
    keywords = models.CharField(max_length=1024, blank=True)
    author = models.CharField(max_length=1024, blank=True)
    author_email = models.CharField(max_length=2048, blank=True)
    license = models.TextField(blank=True)
    home_page = models.CharField(max_length=1024, blank=True)
    metadata_version = models.CharField(max_length=16, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    last_downloaded_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            # One live package per normalised name and PEP 440 version: GitLab keys on the
            # raw strings, so `My.Pkg 1.0` and `my-pkg 1.0.0` became two (spec §3.3 quirk).
            models.UniqueConstraint(
                fields=["project", "normalized_name", "canonical_version"],
                condition=~Q(status=PackageStatus.PENDING_DESTRUCTION),
                name="pypi_package_unique_live_version",
            ),
        ]
        indexes = [models.Index(fields=["normalized_name", "project"])]

    def __str__(self) -> str:
        return f"{self.name} {self.version}"


def _blob_key(instance: "PackageFile", filename: str) -> str:
    return blob_key(instance.project_id, filename)


class PackageFile(models.Model):
    """A distribution file (wheel or sdist) of a package, with its digests and core metadata."""

    Status = PackageFileStatus

    package = models.ForeignKey(Package, on_delete=models.CASCADE, related_name="files")
    # Denormalised from the package so that a filename is unique per project by constraint.
    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="+")
    file = models.FileField(upload_to=_blob_key, max_length=1024)
    file_name = models.CharField(max_length=255)
    size = models.BigIntegerField()
    sha256 = models.CharField(max_length=64, db_index=True)
    md5 = models.CharField(max_length=32)
    blake2_256 = models.CharField(max_length=64)
    packagetype = models.CharField(max_length=32)  # bdist_wheel or sdist
    python_version = models.CharField(max_length=64, blank=True)
    requires_python = models.CharField(max_length=255, blank=True)
    # The METADATA / PKG-INFO bytes, served as `<file>.metadata` (PEP 658).
    core_metadata = models.BinaryField(null=True, blank=True)
    core_metadata_sha256 = models.CharField(max_length=64, blank=True)
    status = models.IntegerField(choices=Status.choices, default=Status.DEFAULT)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+",
    )
    deploy_token = models.ForeignKey(
        "auth_tokens.DeployToken", null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+",
    )
    ci_job = models.ForeignKey(
        "auth_tokens.CiJob", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            # Same filename twice in a project: refused (twine --skip-existing relies on it),
            # unless the first is being deleted. A constraint, so that a race has one winner.
            models.UniqueConstraint(
                fields=["project", "file_name"],
                condition=~Q(status=PackageFileStatus.PENDING_DESTRUCTION),
                name="pypi_file_unique_live_name",
            ),
        ]

    def __str__(self) -> str:
        return self.file_name


# The upstream proxy's own models (issue 11), in its package; imported here for Django.
from packages_pypi.upstream.models import (  # noqa: E402, F401
    UpstreamEvent,
    UpstreamFile,
    UpstreamPage,
)
