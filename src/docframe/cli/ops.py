"""Operations commands: ``docframe doctor``, ``docframe backup`` and ``docframe restore``.

A backup is one ``.tar.gz``: ``manifest.json``, one JSON-lines file per table, and the site's public
and private files. It is backend-neutral, so a backup of an SQLite site restores onto PostgreSQL or
MariaDB (and back): restore recreates the tables from the metadata, then loads the rows with each
column's type.
"""

from __future__ import annotations

import io
import secrets
import tarfile
import time
from collections.abc import Callable
from datetime import date, datetime
from datetime import time as dtime
from pathlib import Path
from typing import Any

import click
import orjson
from rich.table import Table as RichTable
from sqlalchemy import Table

from docframe.cli.common import UserError, console, progress_bar, require_site, site_name, sites_path
from docframe.cli.create import create_site, remove_site
from docframe.db.repos import dump
from docframe.migrate.apply import reflect
from docframe.migrate.diff import Notice, diff_table
from docframe.migrate.sync import sync_schema
from docframe.model.coerce import parse_date, parse_datetime, parse_time
from docframe.optional import redis_from_url
from docframe.sites import Site, SiteRegistry
from docframe.users import User

__all__ = ["register"]

FORMAT_VERSION = 1
#: Tables restored first: the rest of the schema depends on the DocType records they hold.
FIRST = ("tabDocType", "tabDocField", "tabDocPerm")


def _site_tables(site: Site) -> list[Table]:
    tables = list(site.tables.framework.all())
    for name in site.metas.all_names():
        meta = site.metas.get(name)
        if meta.has_table:
            tables.append(site.tables.get(meta))
    return tables


# -- doctor ----------------------------------------------------------------------------------------


def _check_database(site: Site) -> tuple[bool, str]:
    started = time.perf_counter()
    with site.db.engine.connect() as conn:
        dump.ping(conn)
    return True, f"{site.db.backend}, answered in {(time.perf_counter() - started) * 1000:.1f} ms"


def _check_migrations(site: Site) -> tuple[bool, str]:
    pending: list[str] = []
    with site.db.engine.connect() as conn:
        for table in _site_tables(site):
            ops = [op for op in diff_table(table, reflect(conn, table.name)) if not isinstance(op, Notice)]
            pending += [f"{table.name}: {type(op).__name__}" for op in ops]
    if pending:
        return False, f"{len(pending)} pending ({'; '.join(pending[:5])}) — run `docframe migrate`"
    return True, "tables match the DocType definitions"


def _check_redis(site: Site) -> tuple[bool, str]:
    if not site.settings.redis_url:
        return True, "not configured (in-process sessions, cache, rate limits and jobs)"
    client = redis_from_url(site.settings.redis_url, socket_timeout=2, socket_connect_timeout=2)
    client.ping()
    return True, f"reachable at {site.settings.redis_url}"


def _check_files(site: Site) -> tuple[bool, str]:
    for folder in (site.settings.public_files_path, site.settings.private_files_path):
        folder.mkdir(parents=True, exist_ok=True)
        probe = folder / ".doctor"
        probe.write_text("ok")
        probe.unlink()
    return True, "public and private file folders are writable"


CHECKS = (
    ("database", _check_database),
    ("migrations", _check_migrations),
    ("redis", _check_redis),
    ("files", _check_files),
)


def doctor(site: Site) -> bool:
    """Run every check; print a table; return whether all passed."""
    table = RichTable(title=f"docframe doctor: {site.name}")
    for column in ("check", "status", "detail"):
        table.add_column(column)
    healthy = True
    for name, check in CHECKS:
        try:
            ok, detail = check(site)
        except Exception as exc:  # a check that blows up is a failed check, not a crash
            ok, detail = False, f"{type(exc).__name__}: {exc}"
        healthy = healthy and ok
        table.add_row(name, "[green]ok[/green]" if ok else "[red]FAIL[/red]", detail)
    console.print(table)
    return healthy


# -- backup ----------------------------------------------------------------------------------------


def _encode(value: Any) -> Any:
    if isinstance(value, datetime | date | dtime):
        return value.isoformat(sep=" ") if isinstance(value, datetime) else value.isoformat()
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    return value


def _add_bytes(archive: tarfile.TarFile, name: str, data: bytes) -> None:
    info = tarfile.TarInfo(name)
    info.size = len(data)
    info.mtime = int(time.time())
    archive.addfile(info, io.BytesIO(data))


Tick = Callable[[str], None]


def _no_tick(_name: str) -> None:
    return None


def backup(site: Site, target: Path, progress: Callable[[int], Tick] | None = None) -> dict[str, int]:
    """Write a backup of ``site`` to ``target``; returns rows per table.

    ``progress(total)`` returns a callback called once per table written.
    """
    counts: dict[str, int] = {}
    tables = _site_tables(site)
    tick = progress(len(tables)) if progress else _no_tick
    with tarfile.open(target, "w:gz") as archive, site.db.engine.connect() as conn:
        for table in tables:
            tick(str(table.name))
            if not dump.table_exists(conn, table):
                continue
            lines = [
                orjson.dumps({k: _encode(v) for k, v in row.items()}) for row in dump.table_rows(conn, table)
            ]
            counts[str(table.name)] = len(lines)
            _add_bytes(archive, f"tables/{table.name}.jsonl", b"\n".join(lines))
        for kind, folder in (
            ("public", site.settings.public_files_path),
            ("private", site.settings.private_files_path),
        ):
            if folder.is_dir():
                archive.add(folder, arcname=f"files/{kind}")
        manifest = {
            "format": FORMAT_VERSION,
            "site": site.name,
            "backend": site.db.backend,
            "created": datetime.now().isoformat(),
            "tables": counts,
        }
        _add_bytes(archive, "manifest.json", orjson.dumps(manifest, option=orjson.OPT_INDENT_2))
    return counts


# -- restore ---------------------------------------------------------------------------------------


_DECODERS: dict[str, Callable[[str], Any]] = {
    "datetime": parse_datetime,
    "date": parse_date,
    "time": parse_time,
}


def _load_table(conn: Any, table: Table, lines: bytes) -> int:
    decoders: dict[str, Callable[[str], Any]] = {
        name: _DECODERS[kind] for name, kind in dump.column_kinds(table).items() if kind is not None
    }
    rows = []
    for line in lines.splitlines():
        if not line.strip():
            continue
        raw = orjson.loads(line)
        rows.append(
            {
                k: (decoders[k](v) if k in decoders and isinstance(v, str) else v)
                for k, v in raw.items()
                if k in table.c
            }
        )
    return dump.replace_rows(conn, table, rows)


def _extract_files(archive: tarfile.TarFile, site: Site) -> None:
    roots = {
        "files/public/": site.settings.public_files_path,
        "files/private/": site.settings.private_files_path,
    }
    for member in archive.getmembers():
        for prefix, root in roots.items():
            if not member.isfile() or not member.name.startswith(prefix):
                continue
            target = (root / member.name[len(prefix) :]).resolve()
            if root.resolve() not in target.parents:
                raise click.ClickException(f"Refusing unsafe path in backup: {member.name}")
            target.parent.mkdir(parents=True, exist_ok=True)
            source = archive.extractfile(member)
            if source is not None:
                target.write_bytes(source.read())


def _read_manifest(archive: tarfile.TarFile, source: Path) -> dict[str, Any]:
    try:
        member = archive.extractfile("manifest.json")
        manifest = orjson.loads(member.read()) if member is not None else None
    except (KeyError, orjson.JSONDecodeError):
        manifest = None
    if not isinstance(manifest, dict) or not isinstance(manifest.get("tables"), dict):
        raise UserError(f"{source} is not a docframe backup (no manifest.json)")
    if manifest.get("format") != FORMAT_VERSION:
        raise UserError(f"Unsupported backup format {manifest.get('format')} in {source}")
    return manifest


def open_backup(source: Path) -> tarfile.TarFile:
    """Open a backup archive; a :class:`UserError` when it is not a readable .tar.gz."""
    try:
        return tarfile.open(source, "r:gz")
    except (tarfile.TarError, OSError) as exc:
        raise UserError(f"{source} is not a docframe backup ({exc})") from None


def check_backup(source: Path) -> None:
    """A :class:`UserError` unless ``source`` is a docframe backup this version can restore."""
    with open_backup(source) as archive:
        _read_manifest(archive, source)


def restore(site: Site, source: Path, progress: Callable[[int], Tick] | None = None) -> dict[str, int]:
    """Replace ``site``'s data with a backup; returns rows per table.

    ``progress(total)`` returns a callback called once per table loaded.
    """
    with open_backup(source) as archive:
        manifest = _read_manifest(archive, source)
        names = list(manifest["tables"])
        tick = progress(len(names)) if progress else _no_tick
        data = {n: archive.extractfile(f"tables/{n}.jsonl").read() for n in names}  # type: ignore[union-attr]
        counts: dict[str, int] = {}
        with site.unit_of_work(User.administrator()) as ctx:
            ctx.in_install = True
            sync_schema(ctx)
            by_name = {t.name: t for t in _site_tables(site)}
            for name in FIRST:
                if name in data:
                    tick(name)
                    counts[name] = _load_table(ctx.conn, by_name[name], data[name])
        site.metas.invalidate()
        with site.unit_of_work(User.administrator()) as ctx:
            ctx.in_install = True
            sync_schema(ctx)
            by_name = {t.name: t for t in _site_tables(site)}
            for name in names:
                if name in FIRST:
                    continue
                tick(name)
                if name not in by_name:
                    continue
                counts[name] = _load_table(ctx.conn, by_name[name], data[name])
        _extract_files(archive, site)
    site.metas.invalidate()
    site.db.analyze([name for name in counts if counts[name]])  # a bulk load: renew planner statistics
    return counts


def register(cli: click.Group, pick_site: Any) -> None:
    """Add the operations commands to the ``docframe`` group."""

    @cli.command("doctor")
    @click.option("--site", help="Site to check (default: the default site).")
    @click.pass_context
    def doctor_command(ctx: click.Context, site: str | None) -> None:
        """Check the database, pending migrations, Redis and file folders of a site."""
        s = pick_site(ctx, site)
        healthy = doctor(s)
        s.dispose()
        if not healthy:
            raise SystemExit(1)

    @cli.command("backup")
    @click.option("--site", help="Site to back up (default: the default site).")
    @click.option("--all-sites", is_flag=True, help="Back up every site of the folder, one file each.")
    @click.option(
        "--output", "-o", type=click.Path(dir_okay=False, path_type=Path), help="Backup file (.tar.gz)."
    )
    @click.option(
        "--output-dir",
        type=click.Path(file_okay=False, path_type=Path),
        help="Folder for <site>-<date>-<time>.tar.gz files (default: the current folder).",
    )
    @click.pass_context
    def backup_command(
        ctx: click.Context, site: str | None, all_sites: bool, output: Path | None, output_dir: Path | None
    ) -> None:
        """Write a site's database and files to one portable .tar.gz."""
        if output and (all_sites or output_dir):
            raise UserError("--output names one file: use --output-dir with --all-sites")
        if output_dir is not None and not output_dir.is_dir():
            raise UserError(f"Folder {output_dir} does not exist: create it or choose another --output-dir")
        for name in _backup_names(ctx, site, all_sites):
            _backup_one(pick_site(ctx, name), output, output_dir)

    @cli.command("restore")
    @click.argument("source", type=click.Path(exists=True, dir_okay=False, path_type=Path))
    @click.option(
        "--site",
        help="Site to restore into (default: the default site); its data is replaced. "
        "A site name that does not exist yet is created first.",
    )
    @click.option("--db-url", help="Database of the new site, when --site names one that does not exist yet.")
    @click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
    @click.pass_context
    def restore_command(
        ctx: click.Context, source: Path, site: str | None, db_url: str | None, yes: bool
    ) -> None:
        """Replace a site's database and files with a backup (any backend to any backend)."""
        check_backup(source)
        root = sites_path(ctx)
        made = None
        fresh = bool(site) and not (root / str(site) / "site_config.json").is_file()
        if fresh:
            assert site is not None
            made = create_site(root, site, admin_password=secrets.token_urlsafe(12), db_url=db_url)
            console.print(f"Created site {site} to restore into")
        else:
            if db_url:
                raise UserError(f"Site {site_name(ctx, site)} exists: --db-url only applies to a new site")
            require_site(ctx, site_name(ctx, site))
            if not yes:
                click.confirm(f"Replace all data of site {site_name(ctx, site)} with {source}?", abort=True)
        s = pick_site(ctx, site)
        try:
            with progress_bar() as bar:
                counts = restore(s, source, _tracker(bar, f"Restoring {s.name}"))
        except BaseException:
            s.dispose()
            if made is not None:
                remove_site(root / s.name, s.settings.db_url, drop_db=made.made_database)
            raise
        s.dispose()
        console.print(f"Restored {sum(counts.values())} rows into {len(counts)} tables of {s.name}")


def _backup_names(ctx: click.Context, site: str | None, all_sites: bool) -> list[str]:
    if not all_sites:
        return [site_name(ctx, site)]
    names = SiteRegistry(sites_path(ctx)).names()
    if not names:
        raise UserError(f"There are no sites in {sites_path(ctx)}: create one with `docframe new-site NAME`")
    return names


def _backup_one(s: Site, output: Path | None, output_dir: Path | None) -> None:
    target = output or (output_dir or Path()) / f"{s.name}-{datetime.now():%Y%m%d-%H%M%S}.tar.gz"
    if not target.parent.is_dir():
        s.dispose()
        raise UserError(f"Folder {target.parent} does not exist: create it or choose another --output")
    try:
        with progress_bar() as bar:
            counts = backup(s, target, _tracker(bar, f"Backing up {s.name}"))
    except BaseException:
        target.unlink(missing_ok=True)
        raise
    finally:
        s.dispose()
    console.print(f"Backed up {sum(counts.values())} rows from {len(counts)} tables to {target}")


def _tracker(bar: Any, description: str) -> Callable[[int], Tick]:
    def start(total: int) -> Tick:
        task = bar.add_task(description, total=total)
        return lambda _name: bar.advance(task)

    return start
