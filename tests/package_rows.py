"""Package and PackageFile rows made straight through the ORM (the upload service is elsewhere)."""

import hashlib

from django.core.files.base import ContentFile
from packaging.utils import canonicalize_name

from packages_pypi.models import Package, PackageFile
from projects.models import Project


def make_package(project: Project, name: str = "my-pkg", version: str = "1.0", **fields) -> Package:
    return Package.objects.create(
        project=project, name=name, normalized_name=canonicalize_name(name),
        version=version, canonical_version=version, **fields,
    )


def add_file(
    package: Package, file_name: str | None = None, content: bytes = b"wheel"
) -> PackageFile:
    file_name = file_name or f"{package.normalized_name}-{package.version}-py3-none-any.whl"
    package_file = PackageFile(
        package=package, project=package.project, file_name=file_name, size=len(content),
        sha256=hashlib.sha256(content).hexdigest(), md5=hashlib.md5(content).hexdigest(),
        blake2_256=hashlib.blake2b(content, digest_size=32).hexdigest(),
        packagetype="bdist_wheel",
    )
    package_file.file.save(file_name, ContentFile(content), save=False)
    package_file.save()
    return package_file
