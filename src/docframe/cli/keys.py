"""``docframe generate-keys USER``: give a user an API key and a new API secret, shown once."""

from __future__ import annotations

import click

from docframe.cli.common import console, pick_site
from docframe.users import User

__all__ = ["generate_keys"]


@click.command("generate-keys")
@click.argument("user")
@click.option("--site", help="Site (default: the default site).")
@click.pass_context
def generate_keys(ctx: click.Context, user: str, site: str | None) -> None:
    """Give USER an API key (kept if it has one) and a new API secret, printed once.

    Only a digest of the secret is stored: a lost secret cannot be shown again, run this again to
    replace it (the old secret stops working). Clients send ``Authorization: token KEY:SECRET``.
    """
    from docframe.methods.auth import generate_keys as rotate

    s = pick_site(ctx, site)
    try:
        with s.unit_of_work(User.administrator()) as uow:
            keys = rotate(uow, user)
    finally:
        s.dispose()
    click.echo(f"API Key: {keys['api_key']}")
    click.echo(f"API Secret: {keys['api_secret']}")
    console.print(
        "The secret is shown only this once. Clients send "
        f"[bold]Authorization: token {keys['api_key']}:<secret>[/bold]",
        soft_wrap=True,
    )
