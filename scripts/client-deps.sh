#!/usr/bin/env bash
# Install what the browser and JavaScript-client tests need when it is missing: Debian's chromium
# (headless, driven by puppeteer-core; no browser is ever downloaded), Node.js and npm. The npm
# packages themselves (tests/clients/node, examples/*) are installed by the tests with `npm ci`
# from the committed lock files, and the examples are built with `vite build` when not built.
set -uo pipefail
missing=()
command -v node >/dev/null || missing+=(nodejs)
command -v npm >/dev/null || missing+=(npm)
command -v chromium >/dev/null || command -v chromium-browser >/dev/null || missing+=(chromium)
if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi
if [ "$(id -u)" -ne 0 ] || ! command -v apt-get >/dev/null; then
  echo "missing ${missing[*]}: install them (apt-get install ${missing[*]}) to run the browser tests" >&2
  exit 0
fi
echo "installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq && apt-get install -y -qq "${missing[@]}" fonts-liberation >/dev/null
exit 0
