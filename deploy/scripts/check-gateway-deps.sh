#!/usr/bin/env bash
# The gateway reaches the services only over gRPC and keeps nothing but rate-limit
# counters (in the cache): its dependency tree must hold no database, broker or AWS
# client. Backend wiring lives in travel-wiring, which the gateway does not use.
set -euo pipefail
cd "$(dirname "$0")/../.."

tree=$(cargo tree --locked -p travel-gateway -e normal,build --prefix none --format '{p}' | sort -u)
forbidden=$(grep -E '^(sqlx|rdkafka|aws-|libsqlite3-sys|travel-(storage|bus|wiring|selections) )' <<<"$tree" || true)
if [ -n "$forbidden" ]; then
    echo "the gateway's dependency tree must not contain these:" >&2
    echo "$forbidden" >&2
    echo "(see why with: cargo tree -p travel-gateway -i <crate>)" >&2
    exit 1
fi
echo "gateway dependencies: $(wc -l <<<"$tree") crates, no sqlx, rdkafka, AWS SDK or backend wiring"
