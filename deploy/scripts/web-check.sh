#!/usr/bin/env bash
# `make test-web`: the web app in a real browser against the all-in-one serving the
# embedded build. Playwright (npm) drives Debian's Chromium (installed here when
# missing and allowed); then Lighthouse checks the budgets. A second gateway, in
# front of the all-in-one's currency and history services but with its ranking
# service stopped, shows the degraded page.
set -euo pipefail
cd "$(dirname "$0")/../.."

if [ ! -x /usr/bin/chromium ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    echo "installing Debian's Chromium and the CJK and emoji fonts"
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium fonts-noto-cjk fonts-noto-color-emoji >/dev/null
  else
    echo "the browser tests need /usr/bin/chromium (apt-get install chromium fonts-noto-cjk fonts-noto-color-emoji)" >&2
    exit 1
  fi
fi
TRAVEL_WEB_REQUIRED=1 make --no-print-directory web

target=${CARGO_TARGET_DIR:-$PWD/target}
# The same features as `make test`, so a warm test build leaves only the links.
cargo build --workspace --no-default-features --features travel-leadership/lease \
  --bin travel-allinone --bin gateway

source deploy/scripts/lib.sh
port=$(free_port); degraded_port=$(free_port); remittance_port=$(free_port); source=$(free_port)
live_port=$(free_port)
currency=$(free_port); history=$(free_port); ranking=$(free_port); stopped=$(free_port)
data=$(mktemp -d)
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$data"
}
trap cleanup EXIT

# The all-in-one as `make run` offline: the shipped history only.
TRAVEL_DATA_DIR=$data TRAVEL_GATEWAY_ADDR=127.0.0.1:$port TRAVEL_INGEST_EVERY=off \
  TRAVEL_CURRENCY_ADDR=127.0.0.1:$currency TRAVEL_HISTORY_ADDR=127.0.0.1:$history \
  TRAVEL_RANKING_ADDR=127.0.0.1:$ranking TRAVEL_RATE_LIMIT=100000 TRAVEL_LOG=warn \
  "$target/debug/travel-allinone" >"$data/allinone.log" 2>&1 &
pids+=($!)
allinone=$!

# A second one that ingests, once at start, a recorded Korea Eximbank answer served
# here: remittance rates (TTS/TTB) as stored values, not a mock. The answer is of 2019,
# the shipped history of 2026: a jump the guard (tested on its own) would hold back.
mkdir -p "$data/source" "$data/remittance"
cp libs/sources/tests/fixtures/koreaexim_20190314.json "$data/source/kexim"
python3 -m http.server "$source" --bind 127.0.0.1 --directory "$data/source" >"$data/source.log" 2>&1 &
pids+=($!)
TRAVEL_DATA_DIR=$data/remittance TRAVEL_GATEWAY_ADDR=127.0.0.1:$remittance_port TRAVEL_INGEST_EVERY=1h \
  TRAVEL_SOURCES=KOREAEXIM TRAVEL_SOURCE_KOREAEXIM_URL=http://127.0.0.1:$source/kexim \
  TRAVEL_SOURCE_KOREAEXIM_KEY=recorded TRAVEL_MAX_JUMP_PERCENT=100 TRAVEL_METRICS_ADDR=off \
  TRAVEL_RATE_LIMIT=100000 TRAVEL_LOG=warn \
  "$target/debug/travel-allinone" >"$data/remittance.log" 2>&1 &
pids+=($!)
remittance=$!

# A third one polls a folder of that server every second; the browser test publishes
# the recorded answer into it while the page is open (live rates, a firing alert).
mkdir -p "$data/source/live" "$data/live"
TRAVEL_DATA_DIR=$data/live TRAVEL_GATEWAY_ADDR=127.0.0.1:$live_port TRAVEL_INGEST_EVERY=1s \
  TRAVEL_SOURCES=KOREAEXIM TRAVEL_SOURCE_KOREAEXIM_URL=http://127.0.0.1:$source/live/kexim \
  TRAVEL_SOURCE_KOREAEXIM_KEY=recorded TRAVEL_SOURCE_RETRIES=0 TRAVEL_MAX_JUMP_PERCENT=100 \
  TRAVEL_BREAKER_COOL_DOWN=1s \
  TRAVEL_METRICS_ADDR=off TRAVEL_RATE_LIMIT=100000 TRAVEL_LOG=error \
  "$target/debug/travel-allinone" >"$data/live.log" 2>&1 &
pids+=($!)
live=$!

# Seeding the shipped dataset comes first, then (second one) the ingestion's first run.
wait_for "http://127.0.0.1:$port/api/v1/currencies/latest?symbols=USD" "$allinone" "$data/allinone.log"
wait_for "http://127.0.0.1:$remittance_port/api/v1/currencies/latest?symbols=USD" "$remittance" "$data/remittance.log"
wait_for "http://127.0.0.1:$live_port/api/v1/currencies/latest?symbols=USD" "$live" "$data/live.log"
for _ in $(seq 1 120); do
  if curl -fsS "http://127.0.0.1:$remittance_port/api/v1/currencies/JPY" | grep -q '"source":"KOREAEXIM"'; then break; fi
  sleep 0.5
done
curl -fsS "http://127.0.0.1:$remittance_port/api/v1/currencies/JPY" | grep -q '"source":"KOREAEXIM"' \
  || { cat "$data/remittance.log" >&2; echo "the recorded Korea Eximbank answer was not ingested" >&2; exit 1; }

TRAVEL_GATEWAY_ADDR=127.0.0.1:$degraded_port TRAVEL_CURRENCY_URL=http://127.0.0.1:$currency \
  TRAVEL_HISTORY_URL=http://127.0.0.1:$history TRAVEL_RANKING_URL=http://127.0.0.1:$stopped \
  TRAVEL_METRICS_ADDR=off TRAVEL_LOG=warn "$target/debug/gateway" >"$data/gateway.log" 2>&1 &
pids+=($!)
wait_for "http://127.0.0.1:$degraded_port/livez" "$!" "$data/gateway.log"

cd web
TRAVEL_WEB_URL=http://127.0.0.1:$port TRAVEL_WEB_DEGRADED_URL=http://127.0.0.1:$degraded_port \
  TRAVEL_WEB_REMITTANCE_URL=http://127.0.0.1:$remittance_port TRAVEL_WEB_REQUIRE_DEGRADED=1 \
  TRAVEL_WEB_LIVE_URL=http://127.0.0.1:$live_port TRAVEL_WEB_LIVE_SOURCE_DIR=$data/source/live \
  TRAVEL_WEB_REQUIRE_LIVE=1 npm run e2e
TRAVEL_WEB_URL=http://127.0.0.1:$port npm run lighthouse
