"""The refusals of the exchange, in pypi.org's shape so that uv, twine and the GitHub action
print them: HTTP 422, `{"message": "Token request failed", "errors": [{code, description}]}`.
"""

from registry.http.exceptions import RegistryError

# pypi.org's codes (warehouse/oidc/views.py).
INVALID_PAYLOAD = "invalid-payload"
INVALID_TOKEN = "invalid-token"
INVALID_PUBLISHER = "invalid-publisher"
INVALID_REUSE_TOKEN = "invalid-reuse-token"


class MintRefused(RegistryError):
    """422: the ID token was not exchanged; `description` says which check failed."""

    status_code = 422

    def __init__(self, code: str, description: str) -> None:
        self.code = code
        self.description = description
        super().__init__("Token request failed")

    @property
    def body(self) -> dict[str, object]:
        return {
            "message": self.message,
            "errors": [{"code": self.code, "description": self.description}],
        }


def invalid_token(description: str) -> MintRefused:
    return MintRefused(INVALID_TOKEN, description)


def invalid_payload(description: str) -> MintRefused:
    return MintRefused(INVALID_PAYLOAD, description)
