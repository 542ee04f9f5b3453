"""The ``docframe`` command group and its site-management commands."""

from __future__ import annotations

import json
import os
import secrets
import sys
from pathlib import Path

import click
from rich.console import Console
from rich.progress import Progress

from docframe.auth.users import User
from docframe.cli import ops
from docframe.db.provision import ensure_database
from docframe.settings import read_json_file
from docframe.sites import Site, SiteRegistry

console = Console(stderr=True)


def _sites_path(ctx: click.Context) -> Path:
    return Path(ctx.obj["sites"]).resolve()


def _pick_site(ctx: click.Context, site: str | None) -> Site:
    registry = SiteRegistry(_sites_path(ctx))
    name = site or os.environ.get("DOCFRAME_SITE") or registry.default_site
    if not name:
        raise click.UsageError("Several sites exist: pass --site NAME")
    return Site.open(registry.sites_path / name)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "--sites",
    default=lambda: os.environ.get("DOCFRAME_SITES", "sites"),
    show_default="./sites or $DOCFRAME_SITES",
    help="Folder that holds the sites.",
)
@click.pass_context
def cli(ctx: click.Context, sites: str) -> None:
    """docframe: Frappe's document system and HTTP API, fast and simple to run."""
    ctx.ensure_object(dict)
    ctx.obj["sites"] = sites


@cli.command("new-site")
@click.argument("name")
@click.option("--admin-password", help="Administrator password (a random one is printed if omitted).")
@click.option(
    "--db-url",
    help="Database URL: sqlite:///path, postgresql://host/db or mariadb://user@host/db. "
    "Default: an SQLite file inside the site folder.",
)
@click.option("--redis-url", help="Redis URL for shared sessions, cache and jobs (optional).")
@click.option("--force", is_flag=True, help="Re-install over an existing site folder.")
@click.pass_context
def new_site(
    ctx: click.Context,
    name: str,
    admin_password: str | None,
    db_url: str | None,
    redis_url: str | None,
    force: bool,
) -> None:
    """Create site NAME and install the built-in DocTypes."""
    root = _sites_path(ctx)
    path = root / name
    if (path / "site_config.json").exists() and not force:
        raise click.ClickException(f"Site {name} already exists in {root} (use --force to re-install)")
    if not name.replace(".", "").replace("-", "").replace("_", "").isalnum():
        raise click.ClickException("Site names may contain letters, digits, dots, hyphens and underscores")
    path.mkdir(parents=True, exist_ok=True)
    for sub in ("public/files", "private/files", "db"):
        (path / sub).mkdir(parents=True, exist_ok=True)
    url = db_url or f"sqlite:///{path / 'db' / 'site.db'}"
    if ensure_database(url):
        console.print(f"created database for {name}")
    config = {"db_url": url, "encryption_key": secrets.token_urlsafe(32)}
    if redis_url:
        config["redis_url"] = redis_url
    (path / "site_config.json").write_text(json.dumps(config, indent=1) + "\n")
    common = root / "common_site_config.json"
    shared = read_json_file(common)
    if not shared.get("default_site"):
        shared["default_site"] = name
        common.write_text(json.dumps(shared, indent=1) + "\n")
    password = admin_password or secrets.token_urlsafe(12)
    site = Site.open(path)
    with Progress(console=console, transient=True) as progress:
        task = progress.add_task("Installing DocTypes", total=len(site.metas.standard_names))
        from docframe.migrate.sync import install_site

        install_site(site, password, progress=lambda _name: progress.advance(task))
    site.dispose()
    console.print(f"[green]Site {name} is ready[/green] ({url.split('://', 1)[0]})")
    if not admin_password:
        click.echo(f"Administrator password: {password}")


@cli.command()
@click.option("--site", help="Site to migrate (default: the default site).")
@click.option("--all-sites", is_flag=True, help="Migrate every site in the folder.")
@click.pass_context
def migrate(ctx: click.Context, site: str | None, all_sites: bool) -> None:
    """Bring tables and built-in records up to the DocType definitions (never drops data)."""
    from docframe.migrate.sync import migrate_site

    registry = SiteRegistry(_sites_path(ctx))
    names = registry.names() if all_sites else [_pick_site(ctx, site).name]
    for name in names:
        s = Site.open(registry.sites_path / name)
        done = migrate_site(s)
        s.dispose()
        changes = [d for d in done if not d.startswith("notice")]
        console.print(f"{name}: {len(changes)} change(s)")
        for line in done:
            click.echo(f"  {line}")


@cli.command("set-admin-password")
@click.argument("password", required=False)
@click.option("--site", help="Site (default: the default site).")
@click.pass_context
def set_admin_password(ctx: click.Context, password: str | None, site: str | None) -> None:
    """Set the Administrator's password (prompted for when not given)."""
    from docframe.auth.passwords import set_password

    password = password or click.prompt(
        "New Administrator password", hide_input=True, confirmation_prompt=True
    )
    s = _pick_site(ctx, site)
    with s.unit_of_work(User.administrator()) as uow:
        set_password(uow, "Administrator", password)
    s.dispose()
    console.print("Administrator password updated")


@cli.command("add-user")
@click.argument("email")
@click.option("--first-name", default=None, help="First name (default: the part of the e-mail before @).")
@click.option("--password", default=None, help="Password (a random one is printed if omitted).")
@click.option("--role", "roles", multiple=True, help="Role to grant (repeatable).")
@click.option("--site", help="Site (default: the default site).")
@click.pass_context
def add_user(
    ctx: click.Context,
    email: str,
    first_name: str | None,
    password: str | None,
    roles: tuple[str, ...],
    site: str | None,
) -> None:
    """Create a user: a System User when a role with desk access is given, else a Website User."""
    from docframe import errors
    from docframe.model import lifecycle, persistence

    s = _pick_site(ctx, site)
    secret = password or secrets.token_urlsafe(12)
    try:
        with s.unit_of_work(User.administrator()) as uow:
            meta = uow.site.metas.get("User", uow.conn)
            doc = persistence.new_document(uow, meta, {
                "email": email, "first_name": first_name or email.split("@", 1)[0], "new_password": secret,
                "roles": [{"role": r} for r in roles], "send_welcome_email": 0,
            })  # fmt: skip
            lifecycle.insert(uow, doc)
            user_type = doc.user_type
    except errors.FrappeError as exc:
        text = exc.messages[0].message if exc.messages else str(exc)
        raise click.ClickException(f"User {email} was not created: {text}") from None
    finally:
        s.dispose()
    console.print(f"User {doc.name} created ({user_type})")
    if not password:
        click.echo(f"Password: {secret}")


@cli.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=int)
@click.option("--workers", default=1, show_default=True, type=int, help="Worker processes.")
@click.option(
    "--site",
    help="Serve only this site, whatever X-Frappe-Site-Name or Host say (like `bench --site X serve`). "
    "Without it, each request picks its site by those headers.",
)
@click.option("--access-log/--no-access-log", default=False, show_default=True)
@click.option(
    "--socketio-port", type=int, default=None,
    help="Also serve Socket.IO on this port (default: socketio_port of the common config, 9000).",
)  # fmt: skip
@click.option(
    "--no-socketio-port", is_flag=True, envvar="DOCFRAME_NO_SOCKETIO_PORT",
    help="Serve Socket.IO only at /socket.io of the main port (also: DOCFRAME_NO_SOCKETIO_PORT=1).",
)  # fmt: skip
@click.pass_context
def serve(
    ctx: click.Context, host: str, port: int, workers: int, site: str | None, access_log: bool,
    socketio_port: int | None, no_socketio_port: bool,
) -> None:  # fmt: skip
    """Serve every site of the sites folder over HTTP (uvicorn, uvloop, httptools) and Socket.IO."""
    from docframe.realtime import cli as realtime_cli

    os.environ["DOCFRAME_SITES"] = str(_sites_path(ctx))
    if site:
        os.environ["DOCFRAME_SITE"] = site
    if not SiteRegistry(_sites_path(ctx)).names():
        raise click.ClickException(
            f"No sites in {_sites_path(ctx)}: create one with `docframe new-site NAME`"
        )
    console.print(f"docframe serving {_sites_path(ctx)} on http://{host}:{port} ({workers} worker(s))")
    extra = None
    if not no_socketio_port:
        wanted = socketio_port or realtime_cli.socketio_port_of(_sites_path(ctx))
        extra = realtime_cli.bind_extra(host, wanted) if wanted != port else None
        if extra is not None:
            os.environ["DOCFRAME_SOCKETIO_PORT"] = str(wanted)
            console.print(f"Socket.IO also on http://{host}:{wanted}")
    # X-Forwarded-For is read by docframe itself, from the site's trusted_proxies only (no proxy_headers).
    realtime_cli.run("docframe.app:default_app", host, port, workers, access_log, extra)


cli.add_command(__import__("docframe.cli.worker", fromlist=["worker"]).worker)
cli.add_command(__import__("docframe.realtime.cli", fromlist=["realtime"]).realtime)


def main() -> None:
    """Entry point."""
    cli(obj={})


ops.register(cli, _pick_site)


if __name__ == "__main__":
    sys.exit(main())
