"""``docframe new-app`` (scaffold an app package) and ``docframe install-app`` (list it in a site)."""

from __future__ import annotations

import importlib
import json
from pathlib import Path

import click

from docframe.cli.common import UserError, console, pick_site, progress_bar, sites_path
from docframe.scaffold import AppNameError, write_app
from docframe.settings import read_json_file
from docframe.sites import Site

__all__ = ["install_app", "new_app"]


@click.command("new-app")
@click.argument("name")
@click.option("--path", "parent", type=click.Path(file_okay=False, path_type=Path), default=".",
              show_default=True, help="Folder to create the app's project folder in.")  # fmt: skip
@click.option("--doctype", help="Name of the app's first DocType (default: '<App Title> Item').")
@click.option("--module", help="Module holding the DocType (default: the app's title).")
def new_app(name: str, parent: Path, doctype: str | None, module: str | None) -> None:
    """Create app NAME: a pip-installable package with hooks, a DocType, a whitelisted method and tests."""
    target = parent / name
    try:
        written = write_app(target, name, doctype=doctype, module=module)
    except AppNameError as exc:
        raise UserError(str(exc)) from None
    console.print(
        f"[green]Created app {name}[/green] in {target} ({len(written)} files). Next:", soft_wrap=True
    )
    click.echo(f"  pip install -e {target}")
    click.echo(f"  docframe install-app {name} --site SITE")
    click.echo(f"  cd {target} && python -m pytest")


@click.command("install-app")
@click.argument("app")
@click.option("--site", help="Site (default: the default site).")
@click.pass_context
def install_app(ctx: click.Context, app: str, site: str | None) -> None:
    """Add APP (an importable package) to a site's apps and create its DocTypes' tables."""
    from docframe.migrate.sync import migrate_site

    s = pick_site(ctx, site)
    s.dispose()
    try:
        module = importlib.import_module(app)
    except ImportError as exc:
        raise UserError(f"Cannot import app {app!r} ({exc}): pip install it first") from None
    if getattr(module, "__file__", None) is None:
        raise UserError(f"{app!r} is a folder, not an installed app package: pip install it first")
    config_path = sites_path(ctx) / s.name / "site_config.json"
    original = config_path.read_text()
    config = read_json_file(config_path)
    apps = list(config.get("apps") or [])
    if app in apps:
        raise UserError(f"App {app} is already installed on site {s.name}")
    config["apps"] = [*apps, app]
    config_path.write_text(json.dumps(config, indent=1) + "\n")
    try:
        site_with_app = Site.open(config_path.parent)
        try:
            with progress_bar() as bar:
                task = bar.add_task(f"Installing {app}", total=len(site_with_app.metas.standard_names))
                done = migrate_site(site_with_app, progress=lambda _name: bar.advance(task))
        finally:
            site_with_app.dispose()
    except BaseException:
        config_path.write_text(original)  # the site stays as it was
        raise
    console.print(
        f"Installed {app} on {s.name}: {len([d for d in done if not d.startswith('notice')])} change(s)"
    )
