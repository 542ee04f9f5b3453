"""Webhook Request Log controller: one delivery of a webhook, and its replay (``retry``).

The rows are written by docframe (the outbox and each attempt), never through the API; a System
Manager (anyone with write permission on the DocType) may replay one at once with
``POST /api/v2/document/Webhook Request Log/<name>/method/retry``, which sends the stored URL,
headers and body again (signed anew with the webhook's current secret).
"""

from __future__ import annotations

from typing import Any

from docframe import errors
from docframe.methods.registry import whitelist
from docframe.model.document import Document
from docframe.webhooks.delivery import requeue


class WebhookRequestLog(Document):
    """The Webhook Request Log DocType."""

    @whitelist(methods=["POST"])
    def retry(self) -> dict[str, Any]:
        """Queue this delivery to be sent again now; returns the job id."""
        if not self.get("url") or self.get("data") is None:
            raise errors.ValidationError(
                f"Webhook Request Log {self.name} has no stored request to send: {self.get('error') or ''}".strip()
            )
        job_id = requeue(self.ctx, str(self.name))
        self.set("status", "Queued")
        return {"status": "Queued", "job_id": job_id}
