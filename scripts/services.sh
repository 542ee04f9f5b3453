#!/usr/bin/env bash
# Start PostgreSQL, MariaDB and Redis when they are installed but not running (CI and fresh machines).
set -uo pipefail
up() { timeout 2 bash -c "</dev/tcp/127.0.0.1/$1" 2>/dev/null; }
wait_for() { for _ in $(seq 1 30); do up "$1" && return 0; sleep 1; done; return 1; }
if ! up 5432 && command -v pg_ctlcluster >/dev/null; then
  echo "starting PostgreSQL"; pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -1)" main start || true
  wait_for 5432 || echo "PostgreSQL did not start"
fi
if ! up 3306 && [ -x /usr/sbin/mariadbd ]; then
  echo "starting MariaDB"; start-stop-daemon --start --oknodo --background --exec /usr/sbin/mariadbd || true
  wait_for 3306 || echo "MariaDB did not start"
fi
if ! up 6379 && command -v redis-server >/dev/null; then
  echo "starting Redis"
  redis-server --daemonize yes --bind 127.0.0.1 -::1 --port 6379 --save "" --appendonly no --dir /var/lib/redis --logfile /var/log/redis/ci.log || true
  wait_for 6379 || echo "Redis did not start"
fi
# Programs the guides' tests use (tests/docs): nginx and Caddy are started in front of a server,
# systemd units are checked with systemd-analyze. Installed from Debian when missing and possible.
missing=()
command -v nginx >/dev/null || missing+=(nginx)
command -v caddy >/dev/null || missing+=(caddy)
command -v systemd-analyze >/dev/null || missing+=(systemd)
if [ ${#missing[@]} -gt 0 ] && command -v apt-get >/dev/null && [ "$(id -u)" = 0 ]; then
  echo "installing ${missing[*]}"
  apt-get install -y --no-install-recommends "${missing[@]}" >/dev/null \
    || { apt-get update >/dev/null && apt-get install -y --no-install-recommends "${missing[@]}" >/dev/null; } \
    || echo "could not install ${missing[*]}"
fi
# frappe-js-sdk for docs/getting-started.md (tests/docs/test_guides.py), from the committed lock file.
js="$(dirname "$0")/../docs/examples/js"
if command -v npm >/dev/null && [ ! -d "$js/node_modules" ]; then
  (cd "$js" && npm ci --no-audit --no-fund >/dev/null) || echo "npm ci in docs/examples/js failed"
fi
exit 0
