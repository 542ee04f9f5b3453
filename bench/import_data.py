"""Benchmark ``docframe import-data`` / ``export-data``: N simple ToDos through the real CLI on SQLite.

Usage: ``python bench/import_data.py [N]`` (default 100,000). Creates a fresh SQLite site in a
temporary folder, writes N ToDos (description, status, priority, due date) as CSV, imports them
(``import-data``), exports them (``export-data``, CSV and JSON Lines), checks the counts, and prints
rows per second for each step: per second of wall-clock time, and per second of CPU time used by the
docframe process (user + system, from getrusage), which stays meaningful on a busy machine. Results
are recorded in bench/README.md ("import-data").
"""

from __future__ import annotations

import csv
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def _docframe(sites: Path, *args: str) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(
        [sys.executable, "-m", "docframe.cli.main", "--sites", str(sites), *args],
        capture_output=True, text=True, timeout=3600,
    )  # fmt: skip
    if result.returncode != 0:
        raise SystemExit(f"docframe {' '.join(args)} failed:\n{result.stderr}")
    return result


def _cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _timed(sites: Path, count: int, step: str, *args: str) -> None:
    started, cpu = time.perf_counter(), _cpu()
    result = _docframe(sites, *args)
    wall, used = time.perf_counter() - started, _cpu() - cpu
    last = result.stderr.strip().splitlines()[-1]
    print(
        f"{step:18} {count / wall:>9,.0f} rows/s wall ({wall:5.1f} s)  {count / used:>9,.0f} rows/s CPU ({used:5.1f} s)  {last}"
    )


def main(count: int) -> None:
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        sites = root / "sites"
        _docframe(sites, "new-site", "bench", "--admin-password", "pw")
        source = root / "todos.csv"
        with source.open("w", newline="") as out:
            writer = csv.writer(out)
            writer.writerow(["Description", "Status", "Priority", "Due Date"])
            for i in range(count):
                writer.writerow([f"ToDo number {i}", ("Open", "Closed")[i % 2], ("Low", "Medium", "High")[i % 3], f"2025-{1 + i % 12:02d}-{1 + i % 28:02d}"])  # fmt: skip
        _timed(sites, count, "import-data csv", "import-data", "ToDo", str(source))
        _timed(sites, count, "export-data csv", "export-data", "ToDo", "-o", str(root / "out.csv"))
        _timed(sites, count, "export-data jsonl", "export-data", "ToDo", "-o", str(root / "out.jsonl"))
        exported = sum(1 for _ in (root / "out.jsonl").open())
        assert exported == count, (exported, count)
        _docframe(sites, "new-site", "copy", "--admin-password", "pw")
        _timed(
            sites,
            count,
            "import-data jsonl",
            "import-data",
            "ToDo",
            str(root / "out.jsonl"),
            "--site",
            "copy",
        )


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 100_000)
