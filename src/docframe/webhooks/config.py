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

if TYPE_CHECKING:
    from docframe.sites import Site

__all__ = ["DEFAULT_RETRY_SCHEDULE", "WebhookSettings", "webhook_settings"]

log = logging.getLogger("docframe.webhooks")
DEFAULT_RETRY_SCHEDULE: tuple[float, ...] = (300.0, 1800.0, 7200.0, 18000.0, 36000.0, 36000.0)
_KEY = "webhooks.settings"


@dataclass(frozen=True)
class WebhookSettings:
    """How deliveries are retried and logged."""

    retry_schedule: tuple[float, ...] = DEFAULT_RETRY_SCHEDULE
    outbox_grace: float = 30.0
    response_excerpt: int = 4096
    claim_margin: float = 60.0


def _schedule(value: Any) -> tuple[float, ...]:
    if value is None:
        return DEFAULT_RETRY_SCHEDULE
    try:
        delays = tuple(float(v) for v in value)
    except (TypeError, ValueError):
        delays = ()
    if isinstance(value, str | bytes) or any(d < 0 for d in delays):
        delays = ()
    if not delays and value != []:
        log.warning(
            "site config webhook_retry_schedule=%r is not a list of seconds; using the default", value
        )
        return DEFAULT_RETRY_SCHEDULE
    return delays


def _number(value: Any, default: float) -> float:
    try:
        number = float(value)
    except (TypeError, ValueError):
        return default
    return number if number >= 0 else default


def parse_settings(raw: dict[str, Any]) -> WebhookSettings:
    """The :class:`WebhookSettings` of a merged site config."""
    return WebhookSettings(
        retry_schedule=_schedule(raw.get("webhook_retry_schedule")),
        outbox_grace=_number(raw.get("webhook_outbox_grace"), 30.0),
        response_excerpt=int(_number(raw.get("webhook_response_excerpt"), 4096)),
        claim_margin=_number(raw.get("webhook_claim_margin"), 60.0),
    )


def webhook_settings(site: Site) -> WebhookSettings:
    """The site's :class:`WebhookSettings` (parsed on first use)."""
    found = site.cache.get(_KEY)
    if found is None:
        found = site.cache.setdefault(_KEY, parse_settings(site.settings.raw))
    return found


__all__ += ["parse_settings"]
