"""``docframe scheduler``: run the scheduler of every site (or ``--site``, repeatable) in the foreground.

Runs the apps' ``scheduler_events`` and docframe's own periodic work (webhook retries and outbox,
SQLite statistics, purging old logs and sessions). Start as many as you like: per site, one holds
the lease and runs jobs, the others wait to take over. ``--once`` runs a single tick and exits.
``docframe serve`` runs the same scheduler on a thread unless started with ``--no-scheduler``.
"""

from __future__ import annotations

import logging
import signal
from pathlib import Path
from typing import Any

import click

from docframe.scheduler.service import Scheduler
from docframe.sites import SiteRegistry

__all__ = ["scheduler"]


@click.command("scheduler")
@click.option("--site", "sites", multiple=True, help="Site to schedule (repeatable; default: every site).")
@click.option("--once", is_flag=True, help="Run one tick and exit.")
@click.pass_context
def scheduler(ctx: click.Context, sites: tuple[str, ...], once: bool) -> None:
    """Run scheduled jobs: one active scheduler per site, whatever the number of processes."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    registry = SiteRegistry(Path(ctx.obj["sites"]))
    for name in sites:
        registry.get(name)  # a clear error for an unknown site
    runner = Scheduler(registry, list(sites) or None)
    if once:
        runner.tick()
        registry.close()
        return

    def stop(signum: int, frame: Any) -> None:
        runner.stop(timeout=0)

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    click.echo(f"docframe scheduler {runner.holder} for {', '.join(sites) or 'every site'}")
    runner.run_forever()
    registry.close()
