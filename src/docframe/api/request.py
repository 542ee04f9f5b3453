"""ApiRequest: what an endpoint receives — the context, the form dict, the raw body, the method."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from docframe.context import Context

__all__ = ["ApiRequest"]


@dataclass
class ApiRequest:
    """One API call, parsed."""

    ctx: Context
    method: str
    path: str
    version: int
    form: dict[str, Any]
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    response_headers: dict[str, str] = field(default_factory=dict)
    #: Multipart file parts by field name (``file`` for uploads); not part of ``form``.
    files: dict[str, Any] = field(default_factory=dict)
