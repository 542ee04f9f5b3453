"""Settings: every config key docframe reads becomes a typed field, with defaults for bad values."""

from __future__ import annotations

from pathlib import Path

import orjson
import pytest

from docframe.settings import DEFAULT_RETENTION_DAYS, Settings, load_settings


def _load(tmp_path: Path, config: dict[str, object], common: dict[str, object] | None = None) -> Settings:
    site = tmp_path / "sites" / "a.test"
    site.mkdir(parents=True)
    (site / "site_config.json").write_bytes(orjson.dumps(config))
    (site.parent / "common_site_config.json").write_bytes(orjson.dumps(common or {}))
    return load_settings(site)


def test_absent_keys_take_their_defaults(tmp_path: Path) -> None:
    s = _load(tmp_path, {})
    assert (s.rate_limit_seconds, s.rate_limit_window) == (0.0, 0)
    assert s.allowed_referrers == () and s.trusted_proxies == ()
    assert not s.strict_document_fields and not s.deny_multiple_sessions and not s.pause_scheduler
    assert (s.scheduler_tick, s.scheduler_interval, s.scheduler_lock_lease) == (10.0, 60.0, 60.0)
    assert s.log_retention_days == DEFAULT_RETENTION_DAYS
    assert s.realtime_channel == "events"
    assert s.socketio_port == 9000
    assert s.webhook_retry_schedule is None
    assert (s.webhook_outbox_grace, s.webhook_response_excerpt, s.webhook_claim_margin) == (30.0, 4096, 60.0)


def test_keys_are_parsed_into_typed_fields(tmp_path: Path) -> None:
    s = _load(
        tmp_path,
        {
            "rate_limit": {"limit": "1.5", "window": 60},
            "allowed_referrers": ["https://a.example", 7, ""],
            "trusted_proxies": "10.0.0.0/8",
            "strict_document_fields": 1,
            "deny_multiple_sessions": "1",
            "scheduler_tick": 2,
            "pause_scheduler": True,
            "log_retention_days": "7",
            "realtime_channel": "rt",
            "socketio_port": "9100",
            "webhook_retry_schedule": [1, 2.5],
            "webhook_outbox_grace": 0,
            "webhook_response_excerpt": 100,
        },
        common={"scheduler_interval": 30},
    )
    assert (s.rate_limit_seconds, s.rate_limit_window) == (1.5, 60)
    assert s.allowed_referrers == ("https://a.example",)  # non-strings and empty entries dropped
    assert s.trusted_proxies == ("10.0.0.0/8",)  # one network as a string is one entry
    assert s.strict_document_fields and s.deny_multiple_sessions and s.pause_scheduler
    assert (s.scheduler_tick, s.scheduler_interval) == (2.0, 30.0)  # common config applies too
    assert s.log_retention_days == 7.0
    assert s.realtime_channel == "rt"
    assert s.socketio_port == 9100
    assert s.webhook_retry_schedule == (1.0, 2.5)
    assert (s.webhook_outbox_grace, s.webhook_response_excerpt) == (0.0, 100)


@pytest.mark.parametrize(
    ("key", "value", "field", "default"),
    [
        ("rate_limit", {"limit": 1}, "rate_limit_window", 0),
        ("rate_limit", "10/60", "rate_limit_seconds", 0.0),
        ("scheduler_tick", 0, "scheduler_tick", 10.0),
        ("scheduler_lock_lease", "soon", "scheduler_lock_lease", 60.0),
        ("log_retention_days", -1, "log_retention_days", DEFAULT_RETENTION_DAYS),
        ("realtime_channel", 5, "realtime_channel", "events"),
        ("socketio_port", 70000, "socketio_port", 9000),
        ("socketio_port", "port", "socketio_port", 9000),
        ("webhook_retry_schedule", "5,10", "webhook_retry_schedule", None),
        ("webhook_retry_schedule", [5, -1], "webhook_retry_schedule", None),
        ("webhook_claim_margin", -3, "webhook_claim_margin", 60.0),
        ("deny_multiple_sessions", "yes", "deny_multiple_sessions", False),  # Frappe's cint("yes") is 0
    ],
)
def test_malformed_values_fall_back_to_the_default(
    tmp_path: Path, key: str, value: object, field: str, default: object
) -> None:
    assert getattr(_load(tmp_path, {key: value}), field) == default
