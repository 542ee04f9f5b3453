"""Benchmark ``docframe import-data`` / ``export-data``: N simple ToDos through the real CLI on SQLite.

Usage: ``python bench/import_data.py [N]`` (default 100,000). Creates a fresh SQLite site in a
temporary folder, writes N ToDos (description, status, priority, due date) as CSV, imports them
(``import-data``), exports them (``export-data``, CSV and JSON Lines), checks the counts, and prints
rows per second for each step. Results are recorded in bench/README.md ("import-data").
"""

from __future__ import annotations

import csv
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
        timings: dict[str, float] = {}
        for step, args in (
            ("import-data csv", ("import-data", "ToDo", str(source))),
            ("export-data csv", ("export-data", "ToDo", "-o", str(root / "out.csv"))),
            ("export-data jsonl", ("export-data", "ToDo", "-o", str(root / "out.jsonl"))),
        ):
            started = time.perf_counter()
            result = _docframe(sites, *args)
            timings[step] = time.perf_counter() - started
            print(
                f"{step:18} {count / timings[step]:>9,.0f} rows/s  ({timings[step]:.1f} s)  {result.stderr.strip().splitlines()[-1]}"
            )
        exported = sum(1 for _ in (root / "out.jsonl").open())
        assert exported == count, (exported, count)
        _docframe(sites, "new-site", "copy", "--admin-password", "pw")
        started = time.perf_counter()
        _docframe(sites, "import-data", "ToDo", str(root / "out.jsonl"), "--site", "copy")
        elapsed = time.perf_counter() - started
        print(
            f"{'import-data jsonl':18} {count / elapsed:>9,.0f} rows/s  ({elapsed:.1f} s)  round trip to a second site"
        )


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 100_000)
