#!/usr/bin/env bash
# Run the whole test suite: unit, API, conformance on SQLite + PostgreSQL + MariaDB, end to end.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/services.sh
.venv/bin/ruff check src tests bench
exec .venv/bin/pytest -n 2 -q "$@"
