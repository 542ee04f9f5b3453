"""Operations commands: ``docframe doctor``, ``docframe backup`` and ``docframe restore``.

A backup is one ``.tar.gz``: ``manifest.json``, one JSON-lines file per table, and the site's public
and private files. It is backend-neutral, so a backup of an SQLite site restores onto PostgreSQL or
MariaDB (and back): restore recreates the tables from the metadata, then loads the rows with each
column's type.
"""

from __future__ import annotations

import io
import tarfile
import time
from datetime import date, datetime
from datetime import time as dtime
from pathlib import Path
from typing import Any

import click
import orjson
import redis
from rich.console import Console
from rich.table import Table as RichTable
from sqlalchemy import Date, DateTime, Table, Time, delete, insert, select, text

from docframe.auth.users import User
from docframe.migrate.apply import reflect
from docframe.migrate.diff import Notice, diff_table
from docframe.migrate.sync import sync_schema
from docframe.model.coerce import parse_date, parse_datetime, parse_time
from docframe.sites import Site

__all__ = ["register"]

console = Console(stderr=True)
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
        conn.execute(text("SELECT 1"))
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
    client = redis.Redis.from_url(site.settings.redis_url, socket_timeout=2, socket_connect_timeout=2)
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


def backup(site: Site, target: Path) -> dict[str, int]:
    """Write a backup of ``site`` to ``target``; returns rows per table."""
    counts: dict[str, int] = {}
    with tarfile.open(target, "w:gz") as archive, site.db.engine.connect() as conn:
        for table in _site_tables(site):
            if not conn.dialect.has_table(conn, table.name):
                continue
            lines = [
                orjson.dumps({str(k): _encode(v) for k, v in row.items()})
                for row in conn.execute(select(table)).mappings()
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


def _decoder(column: Any) -> Any:
    kind = column.type
    if isinstance(kind, DateTime):
        return parse_datetime
    if isinstance(kind, Date):
        return parse_date
    if isinstance(kind, Time):
        return parse_time
    return None


def _load_table(conn: Any, table: Table, lines: bytes) -> int:
    decoders = {c.name: _decoder(c) for c in table.columns}
    rows = []
    for line in lines.splitlines():
        if not line.strip():
            continue
        raw = orjson.loads(line)
        rows.append(
            {
                k: (decoders[k](v) if decoders.get(k) and isinstance(v, str) else v)
                for k, v in raw.items()
                if k in table.c
            }
        )
    conn.execute(delete(table))
    for start in range(0, len(rows), 500):
        conn.execute(insert(table), rows[start : start + 500])
    return len(rows)


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


def restore(site: Site, source: Path) -> dict[str, int]:
    """Replace ``site``'s data with a backup; returns rows per table."""
    with tarfile.open(source, "r:gz") as archive:
        manifest = orjson.loads(archive.extractfile("manifest.json").read())  # type: ignore[union-attr]
        if manifest.get("format") != FORMAT_VERSION:
            raise click.ClickException(f"Unsupported backup format {manifest.get('format')}")
        names = list(manifest["tables"])
        data = {n: archive.extractfile(f"tables/{n}.jsonl").read() for n in names}  # type: ignore[union-attr]
        counts: dict[str, int] = {}
        with site.unit_of_work(User.administrator()) as ctx:
            ctx.in_install = True
            sync_schema(ctx)
            by_name = {t.name: t for t in _site_tables(site)}
            for name in FIRST:
                if name in data:
                    counts[name] = _load_table(ctx.conn, by_name[name], data[name])
        site.metas.invalidate()
        with site.unit_of_work(User.administrator()) as ctx:
            ctx.in_install = True
            sync_schema(ctx)
            by_name = {t.name: t for t in _site_tables(site)}
            for name in names:
                if name in FIRST or name not in by_name:
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
    @click.option(
        "--output", "-o", type=click.Path(dir_okay=False, path_type=Path), help="Backup file (.tar.gz)."
    )
    @click.pass_context
    def backup_command(ctx: click.Context, site: str | None, output: Path | None) -> None:
        """Write the site's database and files to one portable .tar.gz."""
        s = pick_site(ctx, site)
        target = output or Path(f"{s.name}-{datetime.now():%Y%m%d-%H%M%S}.tar.gz")
        counts = backup(s, target)
        s.dispose()
        console.print(f"Backed up {sum(counts.values())} rows from {len(counts)} tables to {target}")

    @cli.command("restore")
    @click.argument("source", type=click.Path(exists=True, dir_okay=False, path_type=Path))
    @click.option("--site", help="Site to restore into (default: the default site); its data is replaced.")
    @click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
    @click.pass_context
    def restore_command(ctx: click.Context, source: Path, site: str | None, yes: bool) -> None:
        """Replace a site's database and files with a backup (any backend to any backend)."""
        s = pick_site(ctx, site)
        if not yes:
            click.confirm(f"Replace all data of site {s.name} with {source}?", abort=True)
        counts = restore(s, source)
        s.dispose()
        console.print(f"Restored {sum(counts.values())} rows into {len(counts)} tables of {s.name}")
