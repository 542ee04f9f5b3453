"""RSS of each ``docframe serve`` worker on a SQLite site: after start-up and after a W1-W5 warm-up.

The site is the one ``bench/workloads.py`` builds (``docframe new-site``, then ``--rows`` ToDo rows
with indexes on ``modified`` and ``status``). For each ``--workers`` count the server is started
(``docframe serve --site bench --workers N``), left to settle, and every worker's ``VmRSS`` (from
``/proc/<pid>/status``) is read; then ``--requests`` mixed requests (W1 GET by name, W2 a filtered
sorted page, W3 create, W4 update, W5 count, in turn) are sent over ``--clients`` concurrent
connections and the RSS is read again. With one worker uvicorn serves in the ``docframe serve``
process itself; with several, the workers are the supervisor's children (the supervisor's own RSS
is reported apart). The raw reference (``bench/raw_app.py`` under uvicorn) is measured the same way
for scale. Memory is reported, never asserted.

Usage: ``python bench/memory.py [--rows 100000] [--workers 1,2] [--requests 2000] [--clients 8]
[--reps 1] [--variant before=/old/src]``
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import random
import statistics
import sys
import tempfile
import threading
import time
import urllib.request
from dataclasses import asdict, dataclass
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH_DIR))

from run import OPENER, RESULTS_DIR, ServerSpec, free_port, running  # noqa: E402
from workloads import (  # noqa: E402
    AUTH,
    SITE,
    build_docframe_site,
    build_raw_db,
    copy_site,
    count_path,
    list_path,
    make_rows,
    raw_spec,
)

SETTLE_S = 3.0


def rss_kib(pid: int) -> int:
    """``VmRSS`` of ``pid`` in KiB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise RuntimeError(f"no VmRSS for {pid}")


def children(pid: int) -> list[int]:
    """The direct children of ``pid`` (uvicorn's spawned workers under its supervisor)."""
    out = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        out += [int(p) for p in (task / "children").read_text().split()]
    return sorted(out)


def workers_of(pid: int, count: int) -> list[int]:
    """The processes that serve requests: ``pid`` itself with one worker, else its ``count`` workers
    once they have all started and their RSS has stopped growing (uvicorn answers as soon as one is up)."""
    if count == 1:
        return [pid]
    deadline = time.monotonic() + 60
    previous: dict[int, int] = {}
    while time.monotonic() < deadline:
        found = [c for c in children(pid) if "spawn_main" in _cmdline(c)]
        try:
            sizes = {c: rss_kib(c) for c in found}
        except (OSError, RuntimeError):  # a worker went away between the listing and the read
            sizes = {}
        settled = len(sizes) == count and sizes.keys() == previous.keys()
        if settled and all(abs(sizes[c] - previous[c]) < 512 for c in sizes):
            return sorted(sizes)
        previous = sizes
        time.sleep(1)
    raise RuntimeError(f"{count} workers did not settle under {pid}")


def _cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_text()
    except OSError:
        return ""


def request(base: str, method: str, path: str, body: dict[str, str] | None = None) -> None:
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(
        base + path, data=data, method=method,
        headers={"Authorization": AUTH, "Accept": "application/json", "Content-Type": "application/json"},
    )  # fmt: skip
    with OPENER.open(req, timeout=60) as reply:
        reply.read()
        if reply.status >= 300:
            raise RuntimeError(f"{method} {path}: {reply.status}")


def warm_up(base: str, total: int, clients: int, rows: int) -> int:
    """``total`` requests cycling W1..W5 over ``clients`` threads; returns how many failed."""
    counter = iter(range(total))
    lock = threading.Lock()
    failed = [0]

    def client(seed: int) -> None:
        rng = random.Random(seed)
        while True:
            with lock:
                n = next(counter, None)
            if n is None:
                return
            name = f"TD-{rng.randrange(1, rows + 1):06d}"
            try:
                match n % 5:
                    case 0:
                        request(base, "GET", f"/api/resource/ToDo/{name}")
                    case 1:
                        request(base, "GET", f"{list_path()}&limit_start={rng.randrange(1000)}")
                    case 2:
                        request(base, "POST", "/api/resource/ToDo", {"description": f"memory bench {n}"})
                    case 3:
                        request(base, "PUT", f"/api/resource/ToDo/{name}", {"description": f"updated {n}"})
                    case _:
                        request(base, "GET", count_path())
            except Exception:  # counted and reported: one bad request must not stop the warm-up
                with lock:
                    failed[0] += 1

    threads = [threading.Thread(target=client, args=(i,)) for i in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return failed[0]


@dataclass
class Sample:
    server: str
    workers: int
    rep: int
    supervisor_mib: float | None
    startup_mib: list[float]
    warm_mib: list[float]
    failed: int


def mib(kib: int) -> float:
    return round(kib / 1024, 1)


def measure(
    label: str, spec: ServerSpec, count: int, args: argparse.Namespace, work: Path, rep: int
) -> Sample:
    port = int(spec.argv[spec.argv.index("--port") + 1])
    with running(spec, port, None, work / f"{label}-{count}-{rep}.log") as (base, pid):
        pids = workers_of(pid, count)
        time.sleep(SETTLE_S)
        startup = [mib(rss_kib(p)) for p in pids]
        failed = warm_up(base, args.requests, args.clients, args.rows)
        time.sleep(1)
        warm = [mib(rss_kib(p)) for p in pids]
        supervisor = mib(rss_kib(pid)) if count > 1 else None
    sample = Sample(label, count, rep, supervisor, startup, warm, failed)
    print(f"  {label:<10} workers={count} start {startup} MiB, after {args.requests} requests {warm} MiB"
          f"{f', supervisor {supervisor} MiB' if supervisor else ''}{f', {failed} failed' if failed else ''}",
          file=sys.stderr)  # fmt: skip
    return sample


def docframe_spec(sites: Path, port: int, workers: int, src: str | None) -> ServerSpec:
    argv = [
        sys.executable, "-m", "docframe.cli.main", "--sites", str(sites), "serve", "--host", "127.0.0.1",
        "--port", str(port), "--workers", str(workers), "--site", SITE, "--no-socketio-port",
    ]  # fmt: skip
    return ServerSpec("docframe", argv, {"PYTHONPATH": src} if src else {})


def table(samples: list[Sample]) -> str:
    lines = [
        "| server | workers | RSS per worker after start-up, MiB | after warm-up, MiB | supervisor MiB |",
        "|---|---:|---:|---:|---:|",
    ]
    keys = sorted({(s.server, s.workers) for s in samples}, key=lambda k: (k[0] != "raw", k[0], k[1]))
    for server, workers in keys:
        group = [s for s in samples if (s.server, s.workers) == (server, workers)]
        start = [v for s in group for v in s.startup_mib]
        warm = [v for s in group for v in s.warm_mib]
        sup = [s.supervisor_mib for s in group if s.supervisor_mib is not None]

        def fmt(values: list[float]) -> str:
            med = statistics.median(values)
            return f"{med:.1f}" + (
                f" ({min(values):.1f}-{max(values):.1f})" if max(values) != min(values) else ""
            )

        lines.append(f"| {server} | {workers} | {fmt(start)} | {fmt(warm)} | {fmt(sup) if sup else '-'} |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--workers", default="1,2")
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--reps", type=int, default=1)
    parser.add_argument(
        "--variant", action="append", default=[], help="LABEL=SRC: docframe from another src tree"
    )
    parser.add_argument("--label", default="memory")
    args = parser.parse_args(argv)
    counts = [int(n) for n in args.workers.split(",")]
    variants = [("docframe", None), *((v.split("=", 1)[0], v.split("=", 1)[1] or None) for v in args.variant)]
    samples: list[Sample] = []
    with tempfile.TemporaryDirectory(prefix="df-memory-") as tmp:
        work = Path(tmp)
        raw_db = work / "raw.db"
        print(f"building {args.rows} rows...", file=sys.stderr)
        build_raw_db(raw_db, make_rows(args.rows))
        build_docframe_site(work / "pristine-sites", raw_db)
        for rep in range(1, args.reps + 1):
            copy = work / f"raw-{rep}.db"
            copy.write_bytes(raw_db.read_bytes())
            samples.append(measure("raw", raw_spec(copy, free_port()), 1, args, work, rep))
            for label, src in variants:
                for count in counts:
                    sites = work / f"sites-{label}-{count}-{rep}"
                    copy_site(work / "pristine-sites", sites)
                    samples.append(
                        measure(label, docframe_spec(sites, free_port(), count, src), count, args, work, rep)
                    )
    print(table(samples))
    RESULTS_DIR.mkdir(exist_ok=True)
    stamp = dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H%M%SZ")
    out = RESULTS_DIR / f"{stamp}-{args.label}.json"
    out.write_text(json.dumps({"args": vars(args), "samples": [asdict(s) for s in samples]}, indent=1))
    print(f"saved {out}", file=sys.stderr)
    return 1 if any(s.failed for s in samples) else 0


if __name__ == "__main__":
    os.environ.pop("DOCFRAME_SITE", None)
    sys.exit(main())
