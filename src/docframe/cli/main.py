"""The ``docframe`` command group and its site-management commands."""

from __future__ import annotations

import copy
import functools
import importlib
import os
import secrets
from pathlib import Path
from typing import Any

import click

import docframe
from docframe.auth.keys import (
    advance_key,
    forget_legacy_key,
    forget_previous_keys,
    reseal_all,
    upgrade_key_config,
)
from docframe.cli.common import UserError, console, pick_site, progress_bar, require_site, site_name
from docframe.cli.create import DB_URL_HELP, create_site
from docframe.secret_box import InvalidEncryptionKey
from docframe.sites import Site, SiteRegistry
from docframe.users import User


def _sites_path(ctx: click.Context) -> Path:
    return Path(ctx.find_root().obj["sites"]).resolve()


def _open_site(path: Path) -> Site:
    """Open the site in ``path``; a bad ``encryption_key`` is a clear error, not a traceback."""
    try:
        return Site.open(path)
    except InvalidEncryptionKey as exc:
        raise UserError(str(exc)) from None


def _pick_site(ctx: click.Context, site: str | None) -> Site:
    try:
        return pick_site(ctx, site)
    except InvalidEncryptionKey as exc:
        raise UserError(str(exc)) from None


def _advance(progress: Any, task: Any, _name: str) -> None:
    progress.advance(task)


#: Commands whose module is imported only when the command runs (or ``--help`` lists it): name ->
#: (module, attribute), or (module, None) for a module whose ``register(group, pick_site)`` adds it.
#: ``docframe serve`` (and each worker process it spawns, which imports this module) then does not
#: load what only they need: rq (``worker``), the migration and backup code (``doctor``, ``backup``,
#: ``restore``), data import and export, the app scaffold, the OpenAPI generator.
LAZY_COMMANDS: dict[str, tuple[str, str | None]] = {
    "worker": ("docframe.cli.worker", "worker"),
    "generate-keys": ("docframe.cli.keys", "generate_keys"),
    "console": ("docframe.cli.console", "console_command"),
    "import-data": ("docframe.cli.data", "import_data"),
    "export-data": ("docframe.cli.data", "export_data"),
    "new-app": ("docframe.cli.apps", "new_app"),
    "install-app": ("docframe.cli.apps", "install_app"),
    "scheduler": ("docframe.cli.scheduler", "scheduler"),
    "realtime": ("docframe.sockets.cli", "realtime"),
    "doctor": ("docframe.cli.ops", None),
    "backup": ("docframe.cli.ops", None),
    "restore": ("docframe.cli.ops", None),
    "openapi": ("docframe.cli.openapi", None),
}


class DocframeGroup(click.Group):
    """The command group; errors a user can act on are one line, never a traceback.

    The commands of :data:`LAZY_COMMANDS` are imported when asked for (click's documented lazy
    loading: ``list_commands`` names them, ``get_command`` imports one).
    """

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*super().list_commands(ctx), *LAZY_COMMANDS})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        found = super().get_command(ctx, cmd_name)
        if found is not None or cmd_name not in LAZY_COMMANDS:
            return found
        module_name, attribute = LAZY_COMMANDS[cmd_name]
        module = importlib.import_module(module_name)
        if attribute is None:
            module.register(self, _pick_site)
            return self.commands.get(cmd_name)
        command = getattr(module, attribute)
        self.add_command(command, cmd_name)
        return command if isinstance(command, click.Command) else None

    def invoke(self, ctx: click.Context) -> Any:
        from sqlalchemy.exc import OperationalError

        from docframe import errors

        try:
            return super().invoke(ctx)
        except errors.FrappeError as exc:
            text = exc.messages[0].message if exc.messages else str(exc)
            raise UserError(text) from None
        except OperationalError as exc:
            reason = str(exc.orig).strip().splitlines()[0] if exc.orig is not None else str(exc)
            raise click.ClickException(f"Database error: {reason}") from None


@click.group(cls=DocframeGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(
    docframe.__version__, "--version", "-V", prog_name="docframe", message="%(prog)s %(version)s"
)
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
    help=f"Database URL: {DB_URL_HELP}. mysql:// is accepted as another spelling of mariadb://. "
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
    """Create site NAME and install the built-in DocTypes (nothing is left behind on failure)."""
    password = admin_password or secrets.token_urlsafe(12)
    with progress_bar() as progress:

        def tracker(total: int) -> Any:
            task = progress.add_task("Installing DocTypes", total=total)
            return lambda _name: progress.advance(task)

        url, _made = create_site(
            _sites_path(ctx), name, admin_password=password, db_url=db_url, redis_url=redis_url,
            force=force, progress=tracker,
        )  # fmt: skip
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
    names = registry.names() if all_sites else [site_name(ctx, site)]
    if not names:
        raise UserError(
            f"There are no sites in {registry.sites_path}: create one with `docframe new-site NAME`"
        )
    for name in names:
        path = registry.sites_path / name
        converted = upgrade_key_config(path)
        s = _open_site(path)
        with progress_bar() as progress:
            task = progress.add_task(f"Migrating {name}", total=len(s.metas.standard_names))
            done = migrate_site(s, progress=functools.partial(_advance, progress, task))
        if converted:
            done.append(converted)
        if s.secrets.rotating or converted:
            sealed = reseal_all(s)
            if sealed.resealed:
                done.append(f"re-sealed {sealed.resealed} Password value(s) with the current encryption_key")
            if sealed.unreadable:
                done.append(f"notice: {sealed.unreadable} Password value(s) could not be read with any key")
            elif forget_legacy_key(path):
                done.append("notice: every Password value uses the current key; the former key was removed")
        s.dispose()
        changes = [d for d in done if not d.startswith("notice")]
        console.print(f"{name}: {len(changes)} change(s)")
        for line in done:
            click.echo(f"  {line}")


@cli.command("rotate-encryption-key")
@click.option("--site", help="Site (default: the default site).")
@click.option(
    "--forget-old",
    is_flag=True,
    help="Re-seal once more and drop previous_encryption_keys (after every server restarted).",
)
@click.pass_context
def rotate_encryption_key(ctx: click.Context, site: str | None, forget_old: bool) -> None:
    """Make a new encryption_key and re-seal every Password value with it.

    The old key is kept in previous_encryption_keys so values stay readable (servers still running
    seal with it until they restart); run again with --forget-old once they have restarted.
    """
    path = _sites_path(ctx) / site_name(ctx, site)
    _open_site(path).dispose()  # refuse to rotate away from a key that does not load
    if not forget_old:
        advance_key(path)
    opened = _open_site(path)
    try:
        done = reseal_all(opened)
    finally:
        opened.dispose()
    console.print(f"{path.name}: re-sealed {done.resealed} Password value(s) with the current key")
    if done.unreadable:
        raise click.ClickException(
            f"{done.unreadable} Password value(s) could not be read with any key; previous keys were kept"
        )
    if forget_old:
        dropped = forget_previous_keys(path)
        console.print("previous keys removed" if dropped else "no previous keys to remove")
    else:
        console.print("the previous key is kept for reading; after restarting servers run with --forget-old")


@cli.command("set-admin-password")
@click.argument("password", required=False)
@click.option("--site", help="Site (default: the default site).")
@click.pass_context
def set_admin_password(ctx: click.Context, password: str | None, site: str | None) -> None:
    """Set the Administrator's password (prompted for when not given)."""
    from docframe.auth.passwords import set_password

    s = _pick_site(ctx, site)
    password = password or click.prompt(
        "New Administrator password", hide_input=True, confirmation_prompt=True
    )
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
        raise UserError(f"User {email} was not created: {text}") from None
    finally:
        s.dispose()
    console.print(f"User {doc.name} created ({user_type})")
    if not password:
        click.echo(f"Password: {secret}")


def _uvicorn_logging(access_log: bool) -> dict[str, Any]:
    """Uvicorn's logging setup: server messages from WARNING up, and one line per request with ``--access-log``.

    The levels live here rather than in ``log_level``, which would set the access logger to the same
    level as the server's and so silence it.
    """
    import uvicorn.config

    config = copy.deepcopy(uvicorn.config.LOGGING_CONFIG)
    config["loggers"]["uvicorn"]["level"] = "WARNING"
    config["loggers"]["uvicorn.error"]["level"] = "WARNING"
    config["loggers"]["uvicorn.access"]["level"] = "INFO" if access_log else "WARNING"
    return config


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
    "--scheduler/--no-scheduler", default=True, show_default=True,
    help="Run the scheduler inside the server (one active per site across workers).",
)  # fmt: skip
@click.option(
    "--socketio-port", type=int, default=None,
    help="Serve Socket.IO on this port too, in a sibling process (`docframe realtime`) that the "
    "workers feed through a local relay, or Redis for sites with redis_url (default: socketio_port "
    "of the common config, 9000).",
)  # fmt: skip
@click.option(
    "--no-socketio-port", is_flag=True, envvar="DOCFRAME_NO_SOCKETIO_PORT",
    help="No sibling: Socket.IO only at /socket.io of the main port (also: DOCFRAME_NO_SOCKETIO_PORT=1).",
)  # fmt: skip
@click.pass_context
def serve(
    ctx: click.Context, host: str, port: int, workers: int, site: str | None, access_log: bool,
    scheduler: bool, socketio_port: int | None, no_socketio_port: bool,
) -> None:  # fmt: skip
    """Serve every site of the sites folder over HTTP (uvicorn, uvloop, httptools) and Socket.IO.

    Socket.IO is served at /socket.io of the main port, and on the socketio_port by a sibling
    process that stops with this one; events published by any worker reach both.
    """
    from docframe.realtime.relay import RELAY_ENV, relay_dir
    from docframe.sockets import cli as realtime_cli

    if not SiteRegistry(_sites_path(ctx)).names():
        raise UserError(f"There are no sites in {_sites_path(ctx)}: create one with `docframe new-site NAME`")
    if site:
        require_site(ctx, site)
    os.environ["DOCFRAME_SITES"] = str(_sites_path(ctx))
    os.environ["DOCFRAME_SCHEDULER"] = "1" if scheduler else "0"
    # Every process of this server (and the sibling) agrees on where the realtime relay is.
    os.environ[RELAY_ENV] = str(relay_dir(_sites_path(ctx)))
    if site:
        os.environ["DOCFRAME_SITE"] = site
    click.echo(f"docframe serving {_sites_path(ctx)} on http://{host}:{port} ({workers} worker(s))", err=True)
    extra = None
    if not no_socketio_port:
        wanted = socketio_port or realtime_cli.socketio_port_of(_sites_path(ctx))
        extra = realtime_cli.bind_extra(host, wanted) if wanted != port else None
        if extra is not None:
            os.environ["DOCFRAME_SOCKETIO_PORT"] = str(wanted)
            click.echo(
                f"Socket.IO also on http://{host}:{wanted} (docframe realtime, a sibling process)", err=True
            )
    # X-Forwarded-For is read by docframe itself, from the site's trusted_proxies only (no proxy_headers).
    realtime_cli.run(
        "docframe.app:default_app", host, port, workers, access_log, extra, _uvicorn_logging(access_log)
    )


def main() -> None:
    """Entry point."""
    cli(obj={})


if __name__ == "__main__":
    main()
