"""PyPI protocol errors, with the status and text twine, pip and uv understand."""

from registry.http.exceptions import BadRequest, RegistryError


class InvalidUpload(BadRequest):
    """400: the upload is malformed; the reason says what to fix."""


class FileAlreadyExists(BadRequest):
    """400 whose text every `--skip-existing` recognises: GitLab's words and PyPI's.

    twine looks for "already been taken" (GitLab) or "already exist" (PyPI) in a 400 body
    (twine/commands/upload.py skip_upload); uv and poetry look for "File already exists".
    """

    def __init__(self, filename: str) -> None:
        super().__init__(
            f"Validation failed: File name has already been taken. File already exists: "
            f"{filename!r}."
        )


class FileTooLarge(BadRequest):
    """GitLab answers 400 'File is too large' (spec §1.5 step 6)."""

    def __init__(self) -> None:
        super().__init__("File is too large")


class MissingParameter(RegistryError):
    """Grape's parameter error shape: 400 {"error": "<param> is missing"}."""

    def __init__(self, parameter: str, problem: str = "is missing") -> None:
        super().__init__(f"{parameter} {problem}")

    @property
    def body(self) -> dict[str, object]:
        return {"error": self.message}


class StorageUnavailable(RegistryError):
    """503: the blob store refused the file; nothing was recorded, the client may retry."""

    status_code = 503
    default_message = "503 Service Unavailable - the package storage could not store the file"


class LengthRequired(RegistryError):
    """411: a chunked body without Content-Length.

    Django reads a body without Content-Length as empty (the upload would then fail with a
    misleading "name is missing"), so we say what is wrong instead. GitLab's Workhorse accepts
    chunked uploads; every PyPI client we know (twine, uv, poetry, flit, pdm, hatch) sends a
    length.
    """

    status_code = 411
    default_message = (
        "411 Length Required - the upload must be sent with a Content-Length header, "
        "not with Transfer-Encoding: chunked"
    )
