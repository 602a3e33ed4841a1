"""Packages (a name and version in a project) and their files."""

from django.conf import settings
from django.db import models
from django.db.models import Q

from packages_pypi.blobs import blob_key
from projects.models import Group, Project


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
    # PEP 592, per version: every file of a yanked version carries the yank in the index.
    yanked = models.BooleanField(default=False)
    yanked_reason = models.CharField(max_length=255, blank=True)
    # Downloads of every file of this version, folded in from the cache (packages_pypi.downloads).
    downloads = models.BigIntegerField(default=0, editable=False)

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
    # The trusted publisher's minted token that uploaded it (issue 13), for "published by".
    publishing_token = models.ForeignKey(
        "auth_tokens.PublishingToken", null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    # Folded in from the cache in batches (packages_pypi.downloads), never written per download.
    downloads = models.BigIntegerField(default=0, editable=False)

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


# --- Lifecycle and governance (issue 12): project status, protection rules, cleanup, tombstones.


class ProjectStatus(models.TextChoices):
    """PEP 792's project status markers, per package name within a registry project."""

    ACTIVE = "active"
    ARCHIVED = "archived"
    DEPRECATED = "deprecated"
    QUARANTINED = "quarantined"


class PackageNameStatus(models.Model):
    """The PEP 792 status of one package name in one project; no row means active."""

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="+")
    normalized_name = models.CharField(max_length=255)
    status = models.CharField(max_length=16, choices=ProjectStatus.choices,
                              default=ProjectStatus.ACTIVE)
    reason = models.CharField(max_length=255, blank=True)
    updated_at = models.DateTimeField(auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["project", "normalized_name"],
                                    name="pypi_name_status_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.normalized_name}: {self.status}"


class PackageProtectionRule(models.Model):
    """GitLab's package protection rule: who may push or delete names matching a pattern.

    Levels are GitLab's numbers (maintainer 40, owner 50, admin 60); None leaves the action at
    its default (developers push, maintainers delete).
    """

    project = models.ForeignKey(Project, on_delete=models.CASCADE,
                                related_name="package_protection_rules")
    package_name_pattern = models.CharField(max_length=255)
    package_type = models.CharField(max_length=32, default="pypi")
    minimum_access_level_for_push = models.IntegerField(null=True, blank=True)
    minimum_access_level_for_delete = models.IntegerField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["project", "package_type", "package_name_pattern"],
                                    name="pypi_protection_rule_unique_pattern"),
        ]

    def __str__(self) -> str:
        return self.package_name_pattern


class PackageCleanupPolicy(models.Model):
    """A project's cleanup policy: keep the newest N versions of each name, and/or remove
    versions older than D days that nobody downloaded for D days."""

    project = models.OneToOneField(Project, on_delete=models.CASCADE, primary_key=True,
                                   related_name="package_cleanup_policy")
    enabled = models.BooleanField(default=False)
    keep_n_versions = models.PositiveIntegerField(null=True, blank=True)
    older_than_days = models.PositiveIntegerField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"cleanup policy of {self.project_id}"


class PackageTombstone(models.Model):
    """A name deleted from a top-level group's tree: never forwarded upstream until released.

    Once the last private copy of a name is gone, forwarding would fetch whatever someone
    registers under it on pypi.org (GitLab's docs warn about it); the tombstone closes that.
    """

    group = models.ForeignKey(Group, on_delete=models.CASCADE, related_name="+")  # top level
    normalized_name = models.CharField(max_length=255)
    deleted_from = models.CharField(max_length=1024, blank=True)  # the project's full path
    created_at = models.DateTimeField(auto_now_add=True)
    released_at = models.DateTimeField(null=True, blank=True)
    released_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["group", "normalized_name"],
                                    condition=Q(released_at__isnull=True),
                                    name="pypi_tombstone_unique_live_name"),
        ]

    def __str__(self) -> str:
        return self.normalized_name


# The upstream proxy's own models (issue 11), in its package; imported here for Django.
from packages_pypi.upstream.models import (  # noqa: E402, F401
    UpstreamEvent,
    UpstreamFile,
    UpstreamPage,
)
