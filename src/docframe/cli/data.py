"""``docframe import-data`` and ``docframe export-data``: documents from and to CSV, JSON, JSON Lines."""

from __future__ import annotations

import sys
from pathlib import Path

import click
import orjson

from docframe import errors
from docframe.cli.common import UserError, console, pick_site, progress_bar
from docframe.dataio.exporter import count_documents, export_columns, export_documents
from docframe.dataio.formats import FORMATS, format_of, read_records, write_records
from docframe.dataio.importer import ImportReport, import_records, resolver_for

__all__ = ["export_data", "import_data"]

#: Failed rows printed on the terminal (all of them go to --error-report).
SHOWN_ERRORS = 20


def _report(report: ImportReport, error_report: Path | None) -> None:
    for failure in report.failed[:SHOWN_ERRORS]:
        console.print(f"row {failure.row}: {failure.message}", markup=False, soft_wrap=True)
    if len(report.failed) > SHOWN_ERRORS:
        console.print(f"... and {len(report.failed) - SHOWN_ERRORS} more failed rows", soft_wrap=True)
    if error_report is not None:
        lines = [orjson.dumps({"row": f.row, "error": f.message, "values": f.values}) for f in report.failed]
        error_report.write_bytes(b"\n".join(lines) + (b"\n" if lines else b""))
    verb = "would import" if report.dry_run else "imported"
    console.print(
        f"{report.doctype}: {verb} {report.inserted} of {report.total} documents, "
        f"{len(report.failed)} failed" + (" (dry run: nothing was written)" if report.dry_run else ""),
        soft_wrap=True,
    )


@click.command("import-data")
@click.argument("doctype")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--site", help="Site (default: the default site).")
@click.option(
    "--format", "kind", type=click.Choice(FORMATS), help="File format (default: from the extension)."
)
@click.option("--dry-run", is_flag=True, help="Validate every row and report errors; write nothing.")
@click.option(
    "--error-report",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write each failed row (row, error, values) to this JSON Lines file.",
)
@click.pass_context
def import_data(
    ctx: click.Context,
    doctype: str,
    file: Path,
    site: str | None,
    kind: str | None,
    dry_run: bool,
    error_report: Path | None,
) -> None:
    """Insert DOCTYPE documents from FILE (CSV, JSON or JSON Lines), validated like API inserts.

    CSV columns are field labels or fieldnames (Frappe's Data Import layout): ``ID`` keeps a name,
    ``Field (Table)`` fills child rows, and a row with empty document columns adds child rows to the
    document above. Rows that fail are reported by row number and skipped; the exit status is 1
    when any failed.
    """
    s = pick_site(ctx, site)
    try:
        try:
            resolver = resolver_for(s, doctype)
            records = read_records(file, format_of(file, kind), resolver)
        except errors.FrappeError as exc:
            raise UserError(exc.messages[0].message if exc.messages else str(exc)) from None
        with progress_bar() as bar:
            task = bar.add_task(f"Importing {doctype}", total=len(records))
            report = import_records(
                s, doctype, records, dry_run=dry_run, progress=lambda n: bar.advance(task, n)
            )
    finally:
        s.dispose()
    _report(report, error_report)
    if report.failed:
        sys.exit(1)


@click.command("export-data")
@click.argument("doctype")
@click.option("--site", help="Site (default: the default site).")
@click.option(
    "--output", "-o", type=click.Path(dir_okay=False, path_type=Path), help="File to write (default: stdout)."
)
@click.option(
    "--format",
    "kind",
    type=click.Choice(FORMATS),
    help="File format (default: from the extension, else CSV).",
)
@click.option("--fields", help="Comma-separated fieldnames or labels (default: every field and child table).")
@click.option(
    "--labels", is_flag=True, help="Name columns by label, like Frappe's Data Export (default: fieldnames)."
)
@click.pass_context
def export_data(
    ctx: click.Context,
    doctype: str,
    site: str | None,
    output: Path | None,
    kind: str | None,
    fields: str | None,
    labels: bool,
) -> None:
    """Write every DOCTYPE document (with child rows) as CSV, JSON or JSON Lines; import-data reads it back."""
    s = pick_site(ctx, site)
    try:
        try:
            resolver = resolver_for(s, doctype)
            fmt = format_of(output, kind)
            wanted = [f.strip() for f in fields.split(",") if f.strip()] if fields else None
            columns = export_columns(resolver, wanted)
        except KeyError as exc:
            raise UserError(f"--fields: {exc.args[0]!r} is not a field of {doctype}") from None
        except errors.FrappeError as exc:
            raise UserError(exc.messages[0].message if exc.messages else str(exc)) from None
        if output is not None and not output.parent.is_dir():
            raise UserError(f"Folder {output.parent} does not exist: create it or choose another --output")
        total = count_documents(s, doctype)
        stream = output.open("w", encoding="utf-8", newline="") if output else sys.stdout
        try:
            with progress_bar() as bar:
                task = bar.add_task(f"Exporting {doctype}", total=total)
                documents = export_documents(s, resolver, columns, lambda n: bar.advance(task, n))
                count = write_records(stream, fmt, documents, columns, resolver, labels=labels)
        finally:
            if output:
                stream.close()
    finally:
        s.dispose()
    console.print(f"Exported {count} {doctype} documents" + (f" to {output}" if output else ""))
