"""Domain errors that carry the HTTP status and GitLab-shaped message they answer with."""

PACKAGES_REALM = 'Basic realm="GitLab Packages Registry"'


class RegistryError(Exception):
    """Base of every error a view turns into a response; `body` is GitLab's JSON shape."""

    status_code = 400
    default_message = "400 Bad request"

    def __init__(
        self, message: str | None = None, *, headers: dict[str, str] | None = None
    ) -> None:
        self.message = message or self.default_message
        self.headers = headers or {}
        super().__init__(self.message)

    @property
    def body(self) -> dict[str, object]:
        return {"message": self.message}


class BadRequest(RegistryError):
    """400: the request is malformed; GitLab prefixes the reason with '400 Bad request - '."""

    def __init__(
        self, reason: str | None = None, *, field: str | None = None,
        field_message: str | None = None, **kwargs: object,
    ) -> None:
        message = f"400 Bad request - {reason}" if reason else "400 Bad request"
        super().__init__(message, **kwargs)  # type: ignore[arg-type]
        self.reason = reason or ""
        # For a web form: the field at fault and GitLab's validation message for it, as its
        # pages word it ("Path has already been taken"), which the API's message may not be.
        self.field = field
        self.field_message = field_message or self.reason


class Unauthorized(RegistryError):
    """401 with the Basic challenge that makes pip and uv retry with credentials (spec §2.6)."""

    status_code = 401
    default_message = "401 Unauthorized"

    def __init__(self, message: str | None = None) -> None:
        super().__init__(message, headers={"WWW-Authenticate": PACKAGES_REALM})


class Forbidden(RegistryError):
    """403: the caller is known and may see the thing, but may not do this to it."""

    status_code = 403
    default_message = "403 Forbidden"

    def __init__(self, reason: str | None = None) -> None:
        super().__init__(f"403 Forbidden - {reason}" if reason else None)
        self.reason = reason or ""


class NotFound(RegistryError):
    """404: missing, or hidden from this caller; the two must look the same."""

    status_code = 404
    default_message = "404 Not Found"

    def __init__(self, resource: str | None = None) -> None:
        super().__init__(f"404 {resource} Not Found" if resource else None)


class Conflict(RegistryError):
    """409: a unique thing (username, email) is taken."""

    status_code = 409
    default_message = "409 Conflict"


class PayloadTooLarge(RegistryError):
    status_code = 413
    default_message = "413 Request Entity Too Large"


class UnprocessableEntity(RegistryError):
    status_code = 422
    default_message = "422 Unprocessable Entity"
