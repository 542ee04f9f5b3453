"""WebhookSettings: the site config keys webhooks read, parsed once per site.

``webhook_retry_schedule`` (list of seconds between attempts; default 5 min, 30 min, 2 h, 5 h, 10 h,
10 h), ``webhook_outbox_grace`` (seconds after which a queued delivery that no job picked up is sent by
the scheduler; default 30) and ``webhook_response_excerpt`` (characters of a response body kept in
the log; default 4096) and ``webhook_claim_margin`` (seconds added to a delivery's timeout for the
lease a sender takes on it: a sender that dies is replaced once it runs out; default 60).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from docframe.services import SlotKey

if TYPE_CHECKING:
    from docframe.settings import Settings
    from docframe.sites import Site

__all__ = ["DEFAULT_RETRY_SCHEDULE", "LOG_DOCTYPE", "WebhookSettings", "log_table", "webhook_settings"]

#: The site's parsed webhook settings.
WEBHOOK_SETTINGS: SlotKey[WebhookSettings] = SlotKey("webhook_settings")


log = logging.getLogger("docframe.webhooks")
DEFAULT_RETRY_SCHEDULE: tuple[float, ...] = (300.0, 1800.0, 7200.0, 18000.0, 36000.0, 36000.0)


@dataclass(frozen=True)
class WebhookSettings:
    """How deliveries are retried and logged."""

    retry_schedule: tuple[float, ...] = DEFAULT_RETRY_SCHEDULE
    outbox_grace: float = 30.0
    response_excerpt: int = 4096
    claim_margin: float = 60.0


def parse_settings(settings: Settings) -> WebhookSettings:
    """The :class:`WebhookSettings` of a site's settings."""
    schedule = settings.webhook_retry_schedule
    return WebhookSettings(
        retry_schedule=DEFAULT_RETRY_SCHEDULE if schedule is None else schedule,
        outbox_grace=settings.webhook_outbox_grace,
        response_excerpt=settings.webhook_response_excerpt,
        claim_margin=settings.webhook_claim_margin,
    )


def webhook_settings(site: Site) -> WebhookSettings:
    """The site's :class:`WebhookSettings` (parsed on first use)."""
    return site.services.slot(WEBHOOK_SETTINGS).get(lambda: parse_settings(site.settings))


__all__ += ["parse_settings"]


#: The DocType whose rows are the deliveries.
LOG_DOCTYPE = "Webhook Request Log"


def log_table(site: Site) -> Any:
    """The table of the deliveries (``Webhook Request Log``)."""
    return site.tables.get(site.metas.get(LOG_DOCTYPE))
