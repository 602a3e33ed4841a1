"""Test data for the web UI: packages made through the ORM (the upload service is separate)."""

import hashlib
import itertools

from django.core.files.base import ContentFile
from packaging.utils import canonicalize_name

from packages_pypi.models import Package, PackageFile
from projects.models import Project, User
from projects.roles import AccessLevel, Visibility
from tests.factories import add_member, make_group, make_project, make_user

_serial = itertools.count(1)


def make_package(
    project: Project,
    name: str = "demo-pkg",
    version: str = "1.0.0",
    *,
    files: tuple[str, ...] | None = None,
    uploader: User | None = None,
    **metadata: object,
) -> Package:
    """A package version with real blobs in storage, as an upload would leave it."""
    package = Package.objects.create(
        project=project, name=name, normalized_name=canonicalize_name(name), version=version,
        canonical_version=version, creator=uploader, **metadata,
    )
    stem = f"{canonicalize_name(name).replace('-', '_')}-{version}"
    default_files = (f"{stem}.tar.gz", f"{stem}-py3-none-any.whl")
    for file_name in files if files is not None else default_files:
        make_package_file(package, file_name, uploader=uploader)
    return package


def make_package_file(
    package: Package, file_name: str, *, uploader: User | None = None
) -> PackageFile:
    content = f"{file_name} {next(_serial)}".encode()
    package_file = PackageFile(
        package=package, project=package.project, file_name=file_name, size=len(content),
        sha256=hashlib.sha256(content).hexdigest(), md5=hashlib.md5(content).hexdigest(),
        blake2_256=hashlib.blake2b(content, digest_size=32).hexdigest(),
        packagetype="bdist_wheel" if file_name.endswith(".whl") else "sdist",
        uploaded_by=uploader,
    )
    package_file.file.save(file_name, ContentFile(content), save=False)
    package_file.save()
    return package_file


class World:
    """A private group `acme` with a private project `acme/tools` holding two packages,
    a public group `oss` with a public project, and one user per role."""

    def __init__(self) -> None:
        self.group = make_group("acme", visibility=Visibility.PRIVATE)
        self.project = make_project("tools", namespace=self.group, visibility=Visibility.PRIVATE)
        self.public_group = make_group("oss", visibility=Visibility.PUBLIC)
        self.public_project = make_project("lib", namespace=self.public_group)
        self.users = {"stranger": make_user("stranger"), "admin": make_user("root", is_admin=True)}
        for role, level in (("guest", AccessLevel.GUEST), ("developer", AccessLevel.DEVELOPER),
                            ("maintainer", AccessLevel.MAINTAINER)):
            self.users[role] = make_user(role)
            add_member(self.project, self.users[role], level)
        self.users["group_maintainer"] = make_user("group_maintainer")
        add_member(self.group, self.users["group_maintainer"], AccessLevel.MAINTAINER)
        uploader = self.users["developer"]
        self.old = make_package(self.project, "Demo.Pkg", "1.0.0", uploader=uploader)
        self.package = make_package(
            self.project, "Demo.Pkg", "1.10.0", uploader=uploader, summary="A demo package",
            description="# Demo\n\n<script>alert(1)</script>\n\nHello **world**.",
            description_content_type="text/markdown", requires_python=">=3.9",
            author="Ada", keywords="demo,test",
        )
        self.other = make_package(self.project, "other", "0.1", uploader=uploader)
        self.public_package = make_package(self.public_project, "pubpkg", "2.0")
        self.file = self.package.files.order_by("pk").first()
