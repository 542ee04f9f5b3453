"""Frappe-style scheduler_events of the test app."""

scheduler_events = {
    "all": ["tests.unit.scheduler.schedapp.tasks.record"],
    "daily": ["tests.unit.scheduler.schedapp.tasks.fail"],
    "cron": {"*/5 * * * *": ["tests.unit.scheduler.schedapp.tasks.every_five"]},
}
