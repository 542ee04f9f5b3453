"""Scheduler: periodic work per site, run by exactly one process per site.

* :mod:`.lock` — the per-site lease in the database that makes one scheduler active.
* :mod:`.events` — job types (apps' ``scheduler_events`` and docframe's own) and when they are due.
* :mod:`.tasks` — docframe's own periodic work (SQLite statistics, purging old logs and sessions).
* :mod:`.service` — the loop: take the lease, sync job types, run what is due, record logs.
"""
