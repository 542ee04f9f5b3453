"""Webhook controller: Frappe's validation, and the webhook cache dropped on every change.

Validation (as Frappe's): on_submit / on_cancel / on_update_after_submit only for submittable
DocTypes; the condition must be a valid expression; the request URL an http(s) URL; a "Form
URL-Encoded" webhook keeps only its data rows and a "JSON" one only its (parsable) template; a
field may appear once in the data rows; a secret is required when security is enabled.
"""

from __future__ import annotations

from docframe import errors
from docframe.jobs.records import QUEUES
from docframe.model.document import Document
from docframe.model.persistence import new_document
from docframe.webhooks.render import check_condition, check_url, doc_values
from docframe.webhooks.templates import check_template

SUBMIT_EVENTS = ("on_submit", "on_cancel", "on_update_after_submit")


class Webhook(Document):
    """The Webhook DocType."""

    def validate(self) -> None:
        """Frappe's checks, in Frappe's order."""
        self._check_docevent()
        self._check_condition()
        self._check_url()
        self._check_body()
        self._check_repeating_fields()
        self._check_secret()
        self._check_options()

    def _check_docevent(self) -> None:
        doctype = self.get("webhook_doctype")
        if not doctype or not self.ctx.meta_exists(doctype):
            return
        if self.get("webhook_docevent") == "workflow_transition":
            raise errors.ValidationError("docframe has no workflows: choose another Doc Event")
        if not self.ctx.meta(doctype).is_submittable and self.get("webhook_docevent") in SUBMIT_EVENTS:
            raise errors.ValidationError("DocType must be Submittable for the selected Doc Event")

    def _check_condition(self) -> None:
        condition = (self.get("condition") or "").strip()
        doctype = self.get("webhook_doctype")
        if not condition or not doctype or not self.ctx.meta_exists(doctype):
            return
        reason = check_condition(condition, doc_values(new_document(self.ctx, self.ctx.meta(doctype))))
        if reason:
            raise errors.ValidationError(f"Invalid Condition: {reason}")

    def _check_url(self) -> None:
        url = (self.get("request_url") or "").strip()
        if self.get("is_dynamic_url"):
            reason = check_template(url)
            if reason:
                raise errors.ValidationError(f"Check Request URL: {reason}")
            if "{" in url:
                return
        if check_url(url):
            raise errors.ValidationError("Check Request URL")

    def _check_body(self) -> None:
        structure = self.get("request_structure")
        if structure == "Form URL-Encoded":
            self.set("webhook_json", None)
        elif structure == "JSON":
            reason = check_template(self.get("webhook_json") or "")
            if reason:
                raise errors.ValidationError(f"Invalid webhook_json template: {reason}")
            self.set("webhook_data", [])

    def _check_repeating_fields(self) -> None:
        fields = [row.get("fieldname") for row in self.get("webhook_data") or []]
        if len(fields) != len(set(fields)):
            raise errors.ValidationError("Same Field is entered more than once")

    def _check_secret(self) -> None:
        if self.get("enable_security") and not (self.get("webhook_secret") or ""):
            raise errors.ValidationError("Invalid Webhook Secret")

    def _check_options(self) -> None:
        queue = self.get("background_jobs_queue")
        if queue and queue not in QUEUES:
            raise errors.ValidationError(f"Unknown queue {queue!r}: use one of {', '.join(QUEUES)}")
        timeout = self.get("timeout")
        if timeout is not None and int(timeout) < 0:
            raise errors.ValidationError("Timeout must not be negative")

    def on_update(self) -> None:
        """Every process reads the enabled webhooks again (via the metadata version)."""
        self.ctx.site.metadata_changed(self.ctx, "Webhook")

    def on_trash(self) -> None:
        """As :meth:`on_update`."""
        self.ctx.site.metadata_changed(self.ctx, "Webhook")
