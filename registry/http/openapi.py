"""The OpenAPI document's error answers: GitLab's bodies, on every operation that can give them.

Every /api/v4 operation can be refused in the same few ways (the access policy's 401, 403 and
404, a malformed request's 400, a taken name's 409, a throttled caller's 429), each with
GitLab's JSON body. drf-spectacular describes only the success answers a view declares, so
this hook adds the refusals once, where an operation has not described them itself.
"""

from typing import Any

ERROR_SCHEMA = {
    "type": "object",
    "description": "GitLab's error body: `message` (text, or the fields and their errors) "
                   "or Grape's `error` for a parameter",
    "properties": {
        "message": {"description": "e.g. \"404 Project Not Found\" or {\"name\": [\"...\"]}"},
        "error": {"type": "string", "description": "e.g. \"name is missing\""},
    },
}
ERRORS = {
    "400": "Bad request: a parameter is missing or invalid",
    "401": "No valid credentials (with a Basic challenge)",
    "403": "Visible to the caller, but not allowed",
    "404": "Missing, or hidden from this caller",
    "409": "Already taken",
    "429": "Too many refused credentials: retry after Retry-After seconds",
}


def document_errors(result: dict[str, Any], **kwargs: Any) -> dict[str, Any]:
    """drf-spectacular postprocessing hook: add the shared error answers to each operation."""
    result.setdefault("components", {}).setdefault("schemas", {})["Error"] = ERROR_SCHEMA
    reference = {"$ref": "#/components/schemas/Error"}
    for path_item in result.get("paths", {}).values():
        for operation in path_item.values():
            responses = operation.setdefault("responses", {})
            for status, description in ERRORS.items():
                responses.setdefault(status, {
                    "description": description,
                    "content": {"application/json": {"schema": reference}},
                })
    return result
