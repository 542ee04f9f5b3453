"""``docframe openapi``: write a site's OpenAPI document as a user sees it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from docframe.auth.identity import identity_cache
from docframe.openapi.spec import openapi_bytes
from docframe.users import User

__all__ = ["register"]


def register(cli: click.Group, pick_site: Any) -> None:
    """Add the ``openapi`` command to the ``docframe`` group."""

    @cli.command("openapi")
    @click.option("--site", help="Site (default: the default site).")
    @click.option(
        "--user",
        "user_name",
        default="Administrator",
        show_default=True,
        help="Describe the API as this user may use it (Guest: anonymous).",
    )
    @click.option(
        "-o",
        "--output",
        type=click.Path(dir_okay=False, path_type=Path),
        help="File to write (default: standard output).",
    )
    @click.pass_context
    def openapi_command(ctx: click.Context, site: str | None, user_name: str, output: Path | None) -> None:
        """Export the OpenAPI 3.1 document of the API (what GET /api/openapi.json returns to USER)."""
        s = pick_site(ctx, site)
        try:
            with s.unit_of_work(User.guest(), write=False) as uow:
                if user_name != "Guest":
                    found = identity_cache(s).user(uow, user_name)
                    if found is None:
                        raise click.UsageError(f"No enabled user {user_name}")
                    uow.user = found
                encoded = openapi_bytes(uow)
        finally:
            s.dispose()
        if output is None:
            click.echo(encoded.decode())
        else:
            output.write_bytes(encoded)
            click.echo(f"Wrote {output} ({len(encoded)} bytes)", err=True)
