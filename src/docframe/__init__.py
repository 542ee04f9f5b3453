"""docframe: Frappe's document system and HTTP API, re-implemented to be fast, typed and simple to run.

The public surface is re-exported here; everything else is internal.
"""

from __future__ import annotations

from docframe import errors as errors
from docframe.errors import (
    DoesNotExistError as DoesNotExistError,
)
from docframe.errors import (
    PermissionError as PermissionError,
)
from docframe.errors import (
    ValidationError as ValidationError,
)
from docframe.model.document import Document as Document

__version__ = "0.1.0"
__all__ = ["Document", "DoesNotExistError", "PermissionError", "ValidationError", "errors"]
