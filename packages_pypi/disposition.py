"""The Content-Disposition of a downloaded distribution, the same from every delivery path."""

from urllib.parse import quote


def attachment(filename: str) -> str:
    """`attachment` with the plain name and its RFC 6266 UTF-8 form, as GitLab sends it."""
    return f"attachment; filename=\"{filename}\"; filename*=UTF-8''{quote(filename)}"
