#!/usr/bin/env bash
# Serve an embedded SQLite demo site on http://127.0.0.1:${PORT:-8000}.
# ADMIN_PASSWORD=... sets the Administrator password; otherwise a random one is printed.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=.venv/bin
SITES=${SITES:-sites}
SITE=${DEMO_SITE:-demo}
PORT=${PORT:-8000}
if [ ! -f "$SITES/$SITE/site_config.json" ]; then
  PASSWORD=${ADMIN_PASSWORD:-$(python3 -c 'import secrets; print(secrets.token_urlsafe(12))')}
  "$BIN/docframe" --sites "$SITES" new-site "$SITE" --admin-password "$PASSWORD"
  echo "Administrator password: $PASSWORD"
elif [ -n "${ADMIN_PASSWORD:-}" ]; then
  "$BIN/docframe" --sites "$SITES" set-admin-password --site "$SITE" "$ADMIN_PASSWORD"
else
  "$BIN/docframe" --sites "$SITES" migrate --site "$SITE" >/dev/null
  echo "Site $SITE exists; reset its password with: ADMIN_PASSWORD=... make demo"
fi
echo "Log in: curl -X POST http://127.0.0.1:$PORT/api/method/login -d usr=Administrator -d pwd=<password>"
exec "$BIN/docframe" --sites "$SITES" serve --site "$SITE" --port "$PORT"
