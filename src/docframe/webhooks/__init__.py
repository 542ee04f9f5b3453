"""Webhooks: tell other systems that a document changed, durably, signed, retried and replayable.

* :mod:`.config` — the site's webhook settings (retry schedule, outbox grace, excerpt size).
* :mod:`.registry` — the enabled webhooks of a site, cached per (DocType, event).
* :mod:`.render` — conditions (simpleeval), Jinja templates (sandboxed), request bodies, signatures.
* :mod:`.triggers` — the lifecycle listener and the outbox written in the document's transaction.
* :mod:`.delivery` — the background job that sends a delivery, records each attempt, and retries.
"""
