"""Write-side PyPI operations: adding an uploaded distribution, deleting packages and files.

A blob is removed only after the rows that point at it are gone for good, so a rolled-back
delete never leaves a row without its blob; the other order (a blob without a row) can only
happen if removing the blob itself fails, which is logged, harmless to clients, and found by
`registry_check`.
"""

import hashlib
import hmac
import logging
from collections.abc import Iterable

from django.db import IntegrityError, transaction
from django.db.models import F, Field, Model, QuerySet
from django.db.models.functions import Lower
from packaging.utils import canonicalize_name, canonicalize_version

from packages_pypi.blobs import blob_delete, blob_save
from packages_pypi.exceptions import FileAlreadyExists, InvalidUpload
from packages_pypi.metadata import (
    CoreMetadata,
    InvalidDistribution,
    read_core_metadata,
    validate_core_metadata,
)
from packages_pypi.models import Package, PackageFile
from packages_pypi.name_status import upload_status_check
from packages_pypi.names import (
    DistributionFilename,
    InvalidFilename,
    filename_matches,
    is_valid_project_name,
    is_valid_version,
    parse_distribution_filename,
)
from packages_pypi.protection import access_package_push
from packages_pypi.public_generation import public_generation_replace
from packages_pypi.received import ReceivedFile, UploadForm
from packages_pypi.tombstones import tombstones_record
from projects.audit.services import audit_event_record
from projects.models import Group, Project, User, path_prefixes
from projects.principals import Principal


def package_file_add(
    *, project: Project, principal: Principal, form: UploadForm, received: ReceivedFile
) -> PackageFile:
    """Validate an upload against its own metadata, store the blob, and record it.

    Raises InvalidUpload (400) for a bad name, version, filename, digest or archive, and
    FileAlreadyExists (400) when the project has the filename already. On any failure
    nothing is left behind: no blob without a row, no row without a blob.
    """
    dist = _check_form(form, received)
    # Issue 12: protection rules (403) and PEP 792 statuses (400), before any bytes are kept.
    access_package_push(principal, project, form.name)
    upload_status_check(project, canonicalize_name(form.name))
    metadata = _read_metadata(received, form)
    if _live_files(project).filter(file_name=received.filename).exists():
        raise FileAlreadyExists(received.filename)  # fast path; the constraint decides races
    # The temporary upload itself, so that local storage can move it instead of copying.
    key = blob_save(project_id=project.pk, filename=received.filename, content=received.upload)
    try:
        return _record(project, principal, form, received, dist, metadata, key)
    except BaseException:
        blob_delete(key)
        raise


def _check_form(form: UploadForm, received: ReceivedFile) -> DistributionFilename:
    # Lengths first: on PostgreSQL an over-long value is a DataError (a 500), and packaging
    # turns a version of over 4,300 digits into a ValueError rather than InvalidVersion.
    _check_length(Package, "name", form.name, "Name")
    _check_length(Package, "version", form.version, "Version")
    _check_length(PackageFile, "python_version", form.pyversion, "Pyversion")
    _check_length(PackageFile, "file_name", received.filename, "File name")
    if not is_valid_project_name(form.name):
        raise InvalidUpload("Validation failed: Name is invalid")
    if not is_valid_version(form.version):
        raise InvalidUpload("Validation failed: Version is invalid")
    _check_length(Package, "canonical_version", canonicalize_version(form.version), "Version")
    try:
        dist = parse_distribution_filename(received.filename)
    except InvalidFilename as error:
        raise InvalidUpload(str(error)) from error
    if not filename_matches(dist, form.name, form.version):
        raise InvalidUpload(
            f"The filename {received.filename!r} does not match the project name {form.name!r} "
            f"and version {form.version!r}."
        )
    # GitLab stores whatever digest the client claims (gitlab#517919); we compute our own
    # and refuse a mismatch, so the index never advertises a hash pip would reject.
    for declared, computed, label in (
        (form.sha256_digest, received.sha256, "sha256_digest"),
        (form.md5_digest, received.md5, "md5_digest"),
        (form.blake2_256_digest, received.blake2_256, "blake2_256_digest"),
    ):
        if declared and not hmac.compare_digest(declared, computed):
            raise InvalidUpload(
                f"The {label} {declared} does not match the uploaded file's {computed}."
            )
    return dist


def _read_metadata(received: ReceivedFile, form: UploadForm) -> CoreMetadata:
    try:
        metadata = read_core_metadata(received.path, received.filename)
    except (InvalidDistribution, InvalidFilename) as error:
        raise InvalidUpload(str(error)) from error
    if b"\x00" in metadata.raw:
        # PostgreSQL text cannot hold NUL, and no tool writes one into METADATA.
        raise InvalidUpload("The file's metadata contains a NUL byte.")
    _check_length(Package, "version", metadata.version, "Version in the file's metadata")
    # Refused rather than truncated (as the other fields are): a cut specifier would be wrong.
    _check_length(PackageFile, "requires_python", metadata.requires_python, "Requires-Python")
    try:
        # After the length checks: packaging turns a version of over 4,300 digits into a
        # ValueError, where "too long" says what is wrong.
        validate_core_metadata(metadata)
    except InvalidDistribution as error:
        raise InvalidUpload(str(error)) from error
    if canonicalize_name(metadata.name) != canonicalize_name(form.name):
        raise InvalidUpload(
            f"The name in the file's metadata ({metadata.name!r}) differs from {form.name!r}."
        )
    if not is_valid_version(metadata.version) or canonicalize_version(
        metadata.version
    ) != canonicalize_version(form.version):
        raise InvalidUpload(
            f"The version in the file's metadata ({metadata.version!r}) differs from "
            f"{form.version!r}."
        )
    return metadata


def _check_length(model: type[Model], field: str, value: str, label: str) -> None:
    """GitLab's wording for a value longer than the column that stores it."""
    column = model._meta.get_field(field)
    assert isinstance(column, Field)  # `field` names a column, not a relation
    limit = column.max_length
    if limit is not None and len(value) > limit:
        raise InvalidUpload(f"Validation failed: {label} is too long (maximum is {limit} "
                            f"characters)")


def _live_files(project: Project) -> QuerySet[PackageFile]:
    return PackageFile.objects.filter(project=project).exclude(
        status=PackageFile.Status.PENDING_DESTRUCTION
    )


@transaction.atomic
def _record(
    project: Project,
    principal: Principal,
    form: UploadForm,
    received: ReceivedFile,
    dist: DistributionFilename,
    metadata: CoreMetadata,
    key: str,
) -> PackageFile:
    package, created = _package_upsert(project, principal, form, metadata)
    packages_serial_bump([project.pk])
    try:
        with transaction.atomic():
            package_file = PackageFile.objects.create(
                package=package,
                project=project,
                file=key,
                file_name=received.filename,
                size=received.size,
                sha256=received.sha256,
                md5=received.md5,
                blake2_256=received.blake2_256,
                packagetype=dist.kind,
                python_version=form.pyversion or dist.python_tag,
                requires_python=metadata.requires_python,
                core_metadata=metadata.raw,
                core_metadata_sha256=hashlib.sha256(metadata.raw).hexdigest(),
                uploaded_by=principal.user,
                deploy_token=principal.deploy_token,
                ci_job=principal.job,
                publishing_token=principal.publishing_token,
            )
    except IntegrityError as error:
        raise FileAlreadyExists(received.filename) from error
    _package_event(
        principal, package,
        "package_registry_package_published" if created
        else "package_registry_package_file_published",
        "Pypi package published" if created else f"Pypi package file {received.filename} published",
        {"file_name": received.filename, "sha256": received.sha256},
    )
    return package_file


def _package_event(
    actor: Principal | User | None, package: Package, event_name: str, message: str,
    details: dict[str, object] | None = None,
) -> None:
    """A package event, in GitLab's shape (`target_details` is `<project>/<name>-<version>`).

    Filed under the project, where GitLab files it under the project's group: here a project's
    maintainers read their own packages' history, and the group's list includes its projects.
    """
    project = package.project
    audit_event_record(
        author=actor, entity=project, target=package, event_name=event_name, message=message,
        target_details=f"{project.full_path}/{package.name}-{package.version}",
        details={"package_name": package.name, "package_version": package.version,
                 **(details or {})},
    )


def _package_upsert(
    project: Project, principal: Principal, form: UploadForm, metadata: CoreMetadata
) -> tuple[Package, bool]:
    """The live package of this name and version, created if new; its metadata from this file.

    GitLab upserts package metadata on every upload (spec §3.3): the last file wins.
    """
    fields = {field: _truncate(Package(), field, value)
              for field, value in _metadata_fields(metadata).items()}
    package, created = Package.objects.exclude(
        status=Package.Status.PENDING_DESTRUCTION
    ).get_or_create(
        project=project,
        normalized_name=canonicalize_name(form.name),
        canonical_version=canonicalize_version(form.version),
        defaults={"name": form.name, "version": form.version, "creator": principal.user,
                  **fields},
    )
    if not created:  # a new one was inserted with its metadata already
        for field, value in fields.items():
            setattr(package, field, value)
        package.save()
    return package, created


def _metadata_fields(metadata: CoreMetadata) -> dict[str, str]:
    return {
        "requires_python": metadata.requires_python,
        "summary": metadata.summary,
        "description": metadata.description,
        "description_content_type": metadata.description_content_type,
        "keywords": metadata.keywords,
        "author": metadata.author,
        "author_email": metadata.author_email,
        "license": metadata.license_expression or metadata.license,
        "home_page": metadata.home_page,
        "metadata_version": metadata.metadata_version,
    }


def _truncate(instance: Model, field: str, value: str) -> str:
    """GitLab truncates over-long metadata to the column size, ending in '...' (spec §3.2)."""
    column = instance._meta.get_field(field)
    assert isinstance(column, Field)  # `field` names a column, not a relation
    limit = column.max_length
    if limit is None or len(value) <= limit:
        return value
    return value[: limit - 3] + "..."


logger = logging.getLogger(__name__)


def _remove_blobs(names: list[str]) -> None:
    for name in names:
        try:
            blob_delete(name)
        except Exception:
            # The rows are gone and committed; a blob the store kept (a disk error, an S3
            # ClientError) is an orphan to log, not an error for the client who deleted.
            logger.exception("could not remove the blob %s", name)


def blobs_remove_on_commit(files: QuerySet[PackageFile] | Iterable[PackageFile]) -> None:
    """Schedule the blobs of `files` for removal when the current transaction commits.

    Call it inside the transaction that deletes the rows (also when a project or group
    cascade deletes them).
    """
    if isinstance(files, QuerySet):
        names = [name for name in files.values_list("file", flat=True) if name]
    else:
        names = [f.file.name for f in files if f.file.name]
    if names:
        transaction.on_commit(lambda: _remove_blobs(names))


@transaction.atomic
def package_destroy(*, package: Package, actor: Principal | User | None = None) -> None:
    """Delete a package with all its files; the blobs go once the delete has committed."""
    _package_event(actor, package, "package_registry_package_deleted", "Pypi package deleted")
    blobs_remove_on_commit(PackageFile.objects.filter(package=package))
    packages_serial_bump([package.project_id])
    package.delete()
    tombstones_record(project=package.project, normalized_names=[package.normalized_name])


@transaction.atomic
def package_file_destroy(
    *, package_file: PackageFile, actor: Principal | User | None = None
) -> None:
    """Delete one file; a package whose last file goes is deleted too (GitLab does the same)."""
    # Lock the package so that two concurrent deletes of its last two files both see the
    # package emptied and neither leaves an empty package behind.
    package = Package.objects.select_for_update().get(pk=package_file.package_id)
    blobs_remove_on_commit([package_file])
    packages_serial_bump([package.project_id])
    package_file.delete()
    _package_event(actor, package, "package_registry_package_file_deleted",
                   f"Pypi package file {package_file.file_name} deleted",
                   {"file_name": package_file.file_name, "sha256": package_file.sha256})
    if not PackageFile.objects.filter(package=package).exists():
        _package_event(actor, package, "package_registry_package_deleted",
                       "Pypi package deleted")
        package.delete()
        tombstones_record(project=package.project, normalized_names=[package.normalized_name])


def packages_serial_bump(project_ids: Iterable[int]) -> None:
    """Mark the projects' packages as changed; call inside the write's transaction.

    The groups above each project get their tree serial bumped too (group pages key on it),
    and anonymous pages lose their generation.
    """
    projects = Project.objects.filter(pk__in=list(project_ids))
    projects.update(packages_serial=F("packages_serial") + 1)
    above = {path.lower() for full_path in projects.values_list("full_path", flat=True)
             for path in path_prefixes(full_path)[:-1]}
    # Lower(full_path) is the groups' unique index: a lookup by it uses the index.
    Group.objects.alias(lower_path=Lower("full_path")).filter(lower_path__in=above).update(
        packages_serial=F("packages_serial") + 1
    )
    public_generation_replace()


def project_files_remove_on_commit(projects: QuerySet[Project]) -> None:
    """Remove the blobs of every file of `projects` once their deletion has committed."""
    blobs_remove_on_commit(PackageFile.objects.filter(project__in=projects))
