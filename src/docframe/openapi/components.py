"""Components shared by every operation: envelopes, v1 and v2 error bodies, security schemes.

v1 puts results under ``data`` (resources) or ``message`` (methods) and queued messages in
``_server_messages`` (a JSON string); errors carry ``exc_type`` (and, for System Users when tracebacks
are allowed, ``exception`` and ``exc``). v2 puts every result under ``data``, messages in a
``messages`` array and errors in an ``errors`` array.
"""

from __future__ import annotations

import functools
from typing import Any

__all__ = [
    "ERROR_STATUSES",
    "SECURITY",
    "SECURITY_SCHEMES",
    "error_responses",
    "shared_components",
    "success",
]

Schema = dict[str, Any]

#: Status -> what it means, for every error status the API answers with.
ERROR_STATUSES: dict[int, str] = {
    400: "Bad request (for example a missing or wrong CSRF token on a cookie session)",
    401: "Not logged in, or the session or credentials are not valid",
    403: "Not permitted",
    404: "Not found",
    409: "Duplicate name or unique value",
    413: "Request body too large",
    417: "Validation error (Frappe's ValidationError and its kin)",
    429: "Too many requests (rate limit)",
}
READ_STATUSES = (401, 403, 404, 417, 429)
WRITE_STATUSES = (400, 401, 403, 404, 409, 413, 417, 429)

SECURITY_SCHEMES: dict[str, Schema] = {
    "sid": {
        "type": "apiKey",
        "in": "cookie",
        "name": "sid",
        "description": "The session cookie set by `POST /api/method/login`. Unsafe methods (POST, PUT, "
        "PATCH, DELETE) also need the session's CSRF token in `X-Frappe-CSRF-Token`.",
    },
    "token": {
        "type": "apiKey",
        "in": "header",
        "name": "Authorization",
        "description": "`token <api_key>:<api_secret>` (keys from `frappe.core.api.auth.generate_api_keys`).",
    },
    "basic": {
        "type": "http",
        "scheme": "basic",
        "description": "`api_key` and `api_secret` as user and password.",
    },
}
SECURITY: list[dict[str, list[str]]] = [{"sid": []}, {"token": []}, {"basic": []}]

_MESSAGE: Schema = {
    "type": "object",
    "properties": {
        "message": {},
        "title": {"type": "string"},
        "indicator": {"type": "string"},
        "raise_exception": {},
    },
}


#: Shared (never mutated) property schemas of the envelopes' message lists.
_V1_MESSAGES: Schema = {"type": "string", "description": "A JSON list of JSON messages"}
_V2_MESSAGES: Schema = {"type": "array", "items": {"$ref": "#/components/schemas/ServerMessage"}}


def _components() -> dict[str, Schema]:
    return {
        "ServerMessage": _MESSAGE,
        "V1Error": {
            "type": "object",
            "title": "v1 error",
            "properties": {
                "exc_type": {"type": "string", "description": "The error class (e.g. ValidationError)"},
                "exception": {"type": "string"},
                "exc": {"type": "string", "description": "A JSON list holding the traceback"},
                "_server_messages": {"type": "string", "description": "A JSON list of JSON messages"},
            },
        },
        "V2Error": {
            "type": "object",
            "title": "v2 error",
            "required": ["errors"],
            "properties": {
                "errors": {
                    "type": "array",
                    "items": {
                        "type": "object",
                        "required": ["type"],
                        "properties": {
                            "type": {"type": "string", "description": "The error class"},
                            "message": {},
                            "title": {"type": "string"},
                            "indicator": {"type": "string"},
                            "exception": {"type": "string"},
                        },
                    },
                },
                "messages": {"type": "array", "items": {"$ref": "#/components/schemas/ServerMessage"}},
            },
        },
    }


def shared_components() -> dict[str, Any]:
    """The schemas, responses and security schemes every document holds."""
    responses: dict[str, Schema] = {}
    for status, text in ERROR_STATUSES.items():
        for version in (1, 2):
            responses[f"V{version}Error{status}"] = {
                "description": text,
                "content": {
                    "application/json": {"schema": {"$ref": f"#/components/schemas/V{version}Error"}}
                },
            }
    return {"schemas": _components(), "responses": responses, "securitySchemes": SECURITY_SCHEMES}


@functools.lru_cache(maxsize=64)
def error_responses(version: int, statuses: tuple[int, ...]) -> dict[str, Schema]:
    """``responses`` entries for ``statuses`` in ``version``'s error format (shared: do not mutate)."""
    return {str(s): {"$ref": f"#/components/responses/V{version}Error{s}"} for s in statuses}


def success(
    version: int,
    result: Schema,
    *,
    key: str = "data",
    extra: Schema | None = None,
    description: str = "Success",
    required: bool = True,
) -> Schema:
    """A success response: ``result`` under ``key`` in ``version``'s envelope."""
    props: Schema = {key: result}
    if version == 1:
        props["_server_messages"] = _V1_MESSAGES
    else:
        props["messages"] = _V2_MESSAGES
    if extra:
        props.update(extra)
    body: Schema = {"type": "object", "properties": props}
    if required:
        body["required"] = [key]
    return {"description": description, "content": {"application/json": {"schema": body}}}
