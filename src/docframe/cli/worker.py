"""``docframe worker``: run background jobs queued on Redis (sites whose config has ``redis_url``).

Listens on the RQ queues ``docframe:<site>:<queue>`` of the chosen sites (``--site``, repeatable;
default: every site of the folder with a ``redis_url``). All of them must use the same Redis; run
one worker per Redis otherwise. Each job runs in a forked work horse (``--no-fork`` runs jobs in the
worker process itself). ``--burst`` stops once the queues are empty.
"""

from __future__ import annotations

from pathlib import Path

import click
from redis import Redis
from rq import SimpleWorker, Worker

from docframe.cli.common import UserError
from docframe.jobs.backends import queue_name
from docframe.jobs.records import QUEUES
from docframe.settings import Settings, load_settings
from docframe.sites import SiteRegistry

__all__ = ["worker"]


def _chosen(registry: SiteRegistry, names: tuple[str, ...]) -> list[Settings]:
    picked = names or tuple(registry.names())
    found = []
    for name in picked:
        path = registry.sites_path / name
        if not (path / "site_config.json").is_file():
            listing = ", ".join(registry.names()) or "none yet (create one with `docframe new-site NAME`)"
            raise UserError(f"Site {name!r} not found; sites in {registry.sites_path}: {listing}")
        settings = load_settings(path)
        if settings.redis_url:
            found.append(settings)
        elif names:
            raise click.ClickException(f"Site {name} has no redis_url: its jobs run inside the server")
    if not found:
        raise click.ClickException("No site has a redis_url: background jobs run inside the server")
    return found


@click.command()
@click.option("--site", "sites", multiple=True, help="Site whose jobs to run (repeatable; default: all).")
@click.option("--queue", "queues", default=",".join(QUEUES), show_default=True, help="Queues, in order.")
@click.option("--burst", is_flag=True, help="Stop when the queues are empty.")
@click.option("--fork/--no-fork", default=True, show_default=True, help="Run each job in a forked process.")
@click.pass_context
def worker(ctx: click.Context, sites: tuple[str, ...], queues: str, burst: bool, fork: bool) -> None:
    """Run background jobs of sites that queue them on Redis."""
    registry = SiteRegistry(Path(ctx.obj["sites"]).resolve())
    chosen = _chosen(registry, sites)
    urls = {s.redis_url for s in chosen}
    if len(urls) > 1:
        raise click.ClickException("These sites use different Redis servers: run one worker per Redis")
    wanted = [q.strip() for q in queues.split(",") if q.strip()]
    unknown = [q for q in wanted if q not in QUEUES]
    if unknown:
        raise click.ClickException(f"Unknown queue(s): {', '.join(unknown)} (use {', '.join(QUEUES)})")
    names = [queue_name(s.site_name, q) for q in wanted for s in chosen]
    connection = Redis.from_url(str(urls.pop()))
    kind = Worker if fork else SimpleWorker
    kind(names, connection=connection).work(burst=burst, logging_level="WARNING")
