#!/usr/bin/env bash
# Run the whole test suite: unit, API, conformance on SQLite + PostgreSQL + MariaDB, end to end,
# real JavaScript and Python clients, and the example apps in headless Chromium.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/services.sh
scripts/client-deps.sh
export PUPPETEER_SKIP_DOWNLOAD=1
# The docs-page test drives Debian's headless Chromium through chromedriver.
if ! command -v chromium >/dev/null || ! command -v chromedriver >/dev/null; then
  (apt-get update -qq && apt-get install -y -qq chromium chromium-driver >/dev/null) || echo "could not install chromium"
fi
.venv/bin/ruff check src tests bench
# The layer contracts in pyproject.toml ([tool.importlinter], docs/architecture.md "Layers").
.venv/bin/lint-imports
exec .venv/bin/pytest -n 2 -q "$@"
