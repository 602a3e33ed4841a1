"""Drive the PyPI endpoints through Django's test client the way twine and pip do."""

import hashlib
from dataclasses import dataclass

from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from tests.builders import build_sdist, build_wheel
from tests.conftest import basic_auth

PIP_ACCEPT = (
    "application/vnd.pypi.simple.v1+json, application/vnd.pypi.simple.v1+html; q=0.1, "
    "text/html; q=0.01"
)


@dataclass
class Dist:
    filename: str
    data: bytes

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.data).hexdigest()


def wheel(name: str, version: str = "1.0.0", **metadata: object) -> Dist:
    """A built wheel; `metadata` are `tests.builders.CoreFields` keywords (or payload_size)."""
    return Dist(*build_wheel(name, version, **metadata))


def sdist(name: str, version: str = "1.0.0", **metadata: object) -> Dist:
    return Dist(*build_sdist(name, version, **metadata))


def twine_form(dist: Dist, name: str, version: str, **overrides: object) -> dict:
    """The multipart fields twine sends (spec §3.1)."""
    form = {
        ":action": "file_upload",
        "protocol_version": "1",
        "name": name,
        "version": version,
        "filetype": "bdist_wheel" if dist.filename.endswith(".whl") else "sdist",
        "pyversion": "py3" if dist.filename.endswith(".whl") else "source",
        "metadata_version": "2.1",
        "sha256_digest": dist.sha256,
        "md5_digest": hashlib.md5(dist.data, usedforsecurity=False).hexdigest(),
        "blake2_256_digest": hashlib.blake2b(dist.data, digest_size=32).hexdigest(),
        "content": SimpleUploadedFile(dist.filename, dist.data),
    }
    form.update(overrides)
    return {key: value for key, value in form.items() if value is not None}


class Registry:
    """A small driver: upload, simple pages and downloads, with optional credentials."""

    def __init__(self, client: Client | None = None) -> None:
        self.client = client or Client()

    @staticmethod
    def _auth(auth: tuple[str, str] | None) -> dict:
        return {"HTTP_AUTHORIZATION": basic_auth(*auth)} if auth else {}

    def upload(self, project_ref: object, dist: Dist, auth=None, name=None, version=None,
               **fields):
        name = name or dist.filename.split("-")[0]
        version = version or dist.filename.split("-")[1].removesuffix(".tar.gz")
        return self.client.post(
            f"/api/v4/projects/{project_ref}/packages/pypi",
            data=twine_form(dist, name, version, **fields),
            **self._auth(auth),
        )

    def simple(self, scope: str, name: str | None = None, auth=None, accept: str = "text/html"):
        path = f"/api/v4/{scope}/simple" + (f"/{name}/" if name else "")
        return self.client.get(path, HTTP_ACCEPT=accept, **self._auth(auth))

    def download(self, scope: str, sha256: str, filename: str, auth=None, **headers):
        return self.client.get(
            f"/api/v4/{scope}/files/{sha256}/{filename}", **self._auth(auth), **headers
        )


def project_scope(project) -> str:
    return f"projects/{project.pk}/packages/pypi"


def group_scope(group) -> str:
    return f"groups/{group.pk}/-/packages/pypi"
