#!/usr/bin/env bash
# `make web`: installs the web app's packages from its lock file and builds it into
# web/dist, which the gateway embeds; `build-web.sh test` runs its unit tests instead. Without npm it says so and stops: the gateway
# then serves a page saying the app was not built (a Rust-only build still works).
# TRAVEL_WEB_REQUIRED=1 (CI) turns a missing npm into a failure.
set -euo pipefail
cd "$(dirname "$0")/../../web"

if ! command -v npm >/dev/null 2>&1; then
  if [ "${TRAVEL_WEB_REQUIRED:-0}" = 1 ]; then
    echo "npm is required to build the web app (Node.js 20 or later)" >&2
    exit 1
  fi
  echo "npm not found: the web app is not built; / will say so (install Node.js 20+ and run make web)" >&2
  exit 0
fi
# No browser downloads: the browser tests use Debian's Chromium.
export PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1
if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm ci --no-audit --no-fund
fi
if [ "${1:-build}" = test ]; then
  npm test
else
  npm run build
fi
