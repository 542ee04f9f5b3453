#!/usr/bin/env bash
# Run the whole test suite: unit, API, conformance on SQLite + PostgreSQL + MariaDB, end to end,
# real JavaScript and Python clients, and the example apps in headless Chromium.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/services.sh
scripts/client-deps.sh
export PUPPETEER_SKIP_DOWNLOAD=1
.venv/bin/ruff check src tests bench
exec .venv/bin/pytest -n 2 -q "$@"
