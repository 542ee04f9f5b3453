"""What every ``docframe`` command shares: the sites folder, picking a site, and one-line errors.

A user's mistake (an unknown site, a bad database URL, a missing user) is a :class:`UserError`:
one line on stderr and exit status 2, never a traceback. :func:`pick_site` checks the name before
anything is opened, so a misspelled ``--site`` creates nothing.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from docframe.sites import Site, SiteRegistry

if TYPE_CHECKING:
    from rich.console import Console
    from rich.progress import Progress

__all__ = ["UserError", "console", "pick_site", "progress_bar", "require_site", "site_name", "sites_path"]


class _LazyConsole:
    """rich's Console, made when something is first printed through it.

    rich (+1.4 MiB) is imported here and in :func:`progress_bar` only: ``docframe serve`` (and each
    worker process it spawns, which imports the command modules) prints a line or two at most.
    """

    def __init__(self) -> None:
        self._made: Console | None = None

    @property
    def rich(self) -> Console:
        """The Console itself."""
        if self._made is None:
            from rich.console import Console  # see the class docstring

            self._made = Console(stderr=True, soft_wrap=True)
        return self._made

    def print(self, *objects: Any, **options: Any) -> None:
        """``Console.print``."""
        self.rich.print(*objects, **options)


#: Messages and progress go to stderr; stdout is for what a script may want to read. Lines are never
#: wrapped (a path cut in two is useless to a script); tables still fit the terminal.
console = _LazyConsole()


class UserError(click.ClickException):
    """A mistake in what the user asked for: ``Error: <message>`` on one line, exit status 2."""

    exit_code = 2


def sites_path(ctx: click.Context) -> Path:
    """The sites folder given by ``--sites`` / ``$DOCFRAME_SITES`` (absolute)."""
    return Path(ctx.find_root().obj["sites"]).resolve()


def _listing(registry: SiteRegistry) -> str:
    names = registry.names()
    if not names:
        return f"there are no sites in {registry.sites_path}: create one with `docframe new-site NAME`"
    return f"sites in {registry.sites_path}: {', '.join(names)}"


def require_site(ctx: click.Context, name: str) -> str:
    """``name`` if it is a site of the folder, else a :class:`UserError` naming the sites there."""
    registry = SiteRegistry(sites_path(ctx))
    valid = name and "/" not in name and "\\" not in name and not name.startswith(".")
    if not valid or not (registry.sites_path / name / "site_config.json").is_file():
        raise UserError(f"Site {name!r} not found; {_listing(registry)}")
    return name


def site_name(ctx: click.Context, site: str | None) -> str:
    """The site a command works on: ``--site``, else ``$DOCFRAME_SITE``, else the default site."""
    registry = SiteRegistry(sites_path(ctx))
    name = site or os.environ.get("DOCFRAME_SITE") or registry.default_site
    if not name:
        if not registry.names():
            raise UserError(f"No site to work on: {_listing(registry)}")
        raise UserError(f"Several sites exist, pass --site NAME ({_listing(registry)})")
    return require_site(ctx, name)


def pick_site(ctx: click.Context, site: str | None) -> Site:
    """Open the site a command works on (see :func:`site_name`); nothing is created."""
    return Site.open(sites_path(ctx) / site_name(ctx, site))


def progress_bar(*, transient: bool = True) -> Progress:
    """A rich Progress on a terminal; a silent one in scripts and pipes."""
    from rich.progress import (  # see _LazyConsole
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeRemainingColumn,
    )

    return Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
        console=console.rich,
        transient=transient,
        disable=not console.rich.is_terminal,
    )
