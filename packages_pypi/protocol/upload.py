"""The legacy upload form twine, uv, poetry and flit send, parsed into plain values.

Only this module and the views know the form's field names (`:action`, `content`, ...).
"""

import re

from django.core.exceptions import RequestDataTooBig, TooManyFieldsSent, TooManyFilesSent
from django.http import HttpRequest, QueryDict
from django.http.multipartparser import MultiPartParserError

from packages_pypi.exceptions import FileTooLarge, InvalidUpload, LengthRequired, MissingParameter
from packages_pypi.protocol.upload_handler import (
    CONTENT_FIELD,
    HashedUpload,
    install_upload_parsing,
)
from packages_pypi.received import ReceivedFile, UploadForm

_HEX = {"sha256_digest": 64, "md5_digest": 32, "blake2_256_digest": 64}




# Whatever Django raises for a body it cannot (or will not) parse; each becomes a 400.
_PARSE_ERRORS = (MultiPartParserError, RequestDataTooBig, TooManyFieldsSent, TooManyFilesSent)
# The wheel tag or "source" twine sends; printable ASCII only, as it is stored and shown.
_PYVERSION = re.compile(r"[!-~]*")




def receive_upload(request: HttpRequest) -> tuple[UploadForm, ReceivedFile]:
    """Parse the multipart body, streaming the file part to disk through HashingUploadHandler.

    Raises LengthRequired, FileTooLarge, MissingParameter or InvalidUpload.
    """
    if "CONTENT_LENGTH" not in request.META and "HTTP_TRANSFER_ENCODING" in request.META:
        raise LengthRequired()
    handler, unsafe_filenames = install_upload_parsing(request)
    try:
        post, files = request.POST, request.FILES
    except _PARSE_ERRORS as error:
        raise InvalidUpload(f"The upload is not a readable multipart form: {error}") from error
    if handler.too_large:
        raise FileTooLarge()
    if handler.refusal:
        raise InvalidUpload(handler.refusal)
    if unsafe_filenames:
        raise InvalidUpload(f"The filename {unsafe_filenames[0]!a} must not contain a path.")
    _check_fields(post)
    upload = files.get(CONTENT_FIELD)
    if not isinstance(upload, HashedUpload):
        raise MissingParameter(CONTENT_FIELD)
    form = UploadForm(
        name=post["name"].strip(),
        version=post["version"].strip(),
        filetype=post.get("filetype", ""),
        pyversion=post.get("pyversion", ""),
        sha256_digest=post.get("sha256_digest", "").lower(),
        md5_digest=post.get("md5_digest", "").lower(),
        blake2_256_digest=post.get("blake2_256_digest", "").lower(),
    )
    # The digests were computed over this very part's bytes (see HashedUpload).
    received = ReceivedFile(
        filename=upload.client_filename,
        path=upload.temporary_file_path(),
        size=upload.size,
        upload=upload,
        **upload.digests,
    )
    return form, received


def _check_fields(post: QueryDict) -> None:
    """The text fields we use are present, single and well-formed; `content` is no text."""
    for field in ("name", "version"):
        if not post.get(field, "").strip():
            raise MissingParameter(field)
    if CONTENT_FIELD in post:
        raise InvalidUpload(f"{CONTENT_FIELD!r} must be a file part, not a text field.")
    for field in ("name", "version", "pyversion", *_HEX):
        if len(post.getlist(field)) > 1:
            raise InvalidUpload(f"The field {field!r} is sent more than once.")
    action = post.get(":action", "file_upload")
    if action != "file_upload":
        raise InvalidUpload(f"Unsupported action {action!a}: only file_upload is supported")
    for field, length in _HEX.items():
        value = post.get(field, "")
        if value and not re.fullmatch(rf"[0-9a-fA-F]{{{length}}}", value):
            raise MissingParameter(field, "is invalid")
    if not _PYVERSION.fullmatch(post.get("pyversion", "")):
        raise InvalidUpload("The pyversion must be printable ASCII (a wheel tag or 'source').")
