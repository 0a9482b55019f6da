"""drf-spectacular post-processing: declare the error responses every endpoint may give.

Each operation of ``/api/schema/`` gets, unless it documents them itself, the error
answers the API gives everywhere: 400 (bad parameters or body, ``{field: [messages]}``
or ``{"detail": ...}``), 401 (no or bad token), 403 (not allowed), 404 (no such object,
or a page past the end), 405, 409 (conflict: a running harvest, a disabled source), 413
(a body over the size limit), 414 (a URL longer than the server reads: gunicorn answers
it before the catalog sees the request), 415 (a content type the endpoint does not take) and 429
(throttled). Bodies are JSON objects (``ErrorResponse``), but the 414's, an HTML page of
the server's.
"""

ERRORS = {
    "400": "bad request: a parameter or the body is invalid; each problem is named",
    "401": "authentication required (a token: `Authorization: Token <key>`)",
    "403": "not allowed for this user",
    "404": "not found (no such object, or a page past the end)",
    "405": "method not allowed",
    "409": "conflict with the current state (e.g. a harvest already running)",
    "413": "request body too large",
    "414": "request line (URL and query string) too long for the server (gunicorn: 4094 bytes)",
    "415": "unsupported content type",
    "429": "too many requests",
}
#: statuses the HTTP server answers itself, with its own HTML body
SERVER_ERRORS = frozenset({"414"})
ERROR_SCHEMA = {
    "type": "object",
    "description": "`detail` for general errors, or one key per invalid field or parameter.",
    "properties": {"detail": {"type": "string"}},
    "additionalProperties": True,
}


def add_error_responses(result: dict, generator, request, public) -> dict:
    """Add the standard error responses (and the ``ErrorResponse`` schema) to ``result``."""
    result.setdefault("components", {}).setdefault("schemas", {})["ErrorResponse"] = ERROR_SCHEMA
    ref = {"$ref": "#/components/schemas/ErrorResponse"}
    for operations in result.get("paths", {}).values():
        for operation in operations.values():
            if not isinstance(operation, dict) or "responses" not in operation:
                continue
            responses = operation["responses"]
            for code, description in ERRORS.items():
                if code not in responses:
                    content = {"application/json": {"schema": ref}}
                    if code in SERVER_ERRORS:  # answered by gunicorn, not by the catalog
                        content = {"text/html": {"schema": {"type": "string"}}}
                    responses[code] = {"description": description, "content": content}
    return result
