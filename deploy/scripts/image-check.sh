#!/usr/bin/env bash
# `make image-check`: the image's runtime stage, verified without Docker. Builds a
# Debian bookworm root filesystem with debootstrap holding exactly the packages the
# Dockerfile's runtime stage installs (read from the Dockerfile, so the two cannot
# differ), adds its user 10001, copies in the release binaries built as the Dockerfile
# builds them and the shipped data, then on a read-only root as uid 10001: the
# Dockerfile's ldd check, `--help` of every binary, and the all-in-one serving
# /health. The root filesystem is cached under $TRAVEL_TOOLS_DIR/image, keyed by the
# package list.
set -euo pipefail
cd "$(dirname "$0")/../.."

dockerfile=deploy/Dockerfile
tools=${TRAVEL_TOOLS_DIR:-$HOME/.cache/trip-currency-mesh/tools}
target=${CARGO_TARGET_DIR:-$PWD/target}

# What the runtime stage installs, and which binaries the builder stage copies.
packages=$(awk '/ AS runtime/ { runtime = 1 } runtime && /--no-install-recommends/ {
    for (i = 1; i <= NF; i++) if ($i == "--no-install-recommends") { for (j = i + 1; j <= NF && $j != "\\"; j++) print $j }
    exit }' "$dockerfile" | tr '\n' ' ')
binaries=$(sed -n 's/^ *&& for bin in \(.*\); do.*/\1/p' "$dockerfile")
[ -n "$packages" ] && [ -n "$binaries" ] || { echo "could not read the runtime packages or binaries from $dockerfile" >&2; exit 1; }
echo "runtime packages: $packages"
echo "binaries: $binaries"

key=$(echo "bookworm $packages" | sha256sum | cut -c1-16)
base=$tools/image/rootfs-$key
if [ ! -f "$base/.complete" ]; then
  command -v debootstrap >/dev/null || {
    echo "installing debootstrap"
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq debootstrap >/dev/null
  }
  echo "building the runtime root filesystem into $base"
  rm -rf "$base" && mkdir -p "$(dirname "$base")"
  debootstrap --variant=minbase --include="$(echo $packages | tr ' ' ',')" bookworm "$base" \
    http://deb.debian.org/debian >"$tools/image/debootstrap.log" 2>&1 \
    || { tail -20 "$tools/image/debootstrap.log" >&2; exit 1; }
  # The Dockerfile's user.
  chroot "$base" groupadd --system --gid 10001 travel
  chroot "$base" useradd --system --uid 10001 --gid 10001 --no-create-home \
    --home-dir /nonexistent --shell /usr/sbin/nologin travel
  touch "$base/.complete"
fi

# The binaries as the builder stage makes them.
# As the Dockerfile's web stage: the app first, for the gateway to embed.
TRAVEL_WEB_REQUIRED=1 make --no-print-directory web
cargo build --release --locked --workspace --bins

work=$(mktemp -d)
root=$work/root
cleanup() { rm -rf "$work"; }
trap cleanup EXIT
cp -a "$base" "$root"
for bin in $binaries; do install -m 0755 "$target/release/$bin" "$root/usr/local/bin/$bin"; done
mkdir -p "$root/usr/share/trip-currency-mesh"
cp -r data "$root/usr/share/trip-currency-mesh/data"

# The Dockerfile's own check: no binary needs a library the image lacks.
chroot "$root" sh -c 'for bin in /usr/local/bin/*; do
    if ldd "$bin" | grep -q "not found"; then ldd "$bin"; exit 1; fi
  done; test -x /bin/sleep'
echo "ldd: every binary's libraries are in the image"

source deploy/scripts/lib.sh
port=$(free_port)
# A private mount namespace: the root read-only, /proc, /dev and a /tmp of its own.
unshare --mount --fork bash -s "$root" "$port" "$binaries" <<'EOF'
set -euo pipefail
root=$1 port=$2 binaries=$3
mount --bind "$root" "$root"
mount -o remount,bind,ro "$root"
mount -t proc proc "$root/proc"
mount --rbind /dev "$root/dev"
mount -t tmpfs -o size=512m tmpfs "$root/tmp"
as_travel() { chroot --userspec=10001:10001 "$root" "$@"; }

# Read-only for everyone, root included (not merely unwritable for uid 10001).
if chroot "$root" sh -c 'touch /written' 2>/dev/null; then
  echo "the root file system is writable" >&2; exit 1
fi
echo "root file system: read-only"
for bin in $binaries; do
  as_travel "/usr/local/bin/$bin" --help >/dev/null
  echo "$bin --help: ok (uid 10001, read-only root)"
done

# The image's CMD with its ENV (the gateway moved to a free port).
# Nothing of this shell's environment but what the image sets.
env -i PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
  TRAVEL_DATA_DIR=/tmp/trip-currency-mesh TRAVEL_GATEWAY_ADDR=127.0.0.1:$port \
  TRAVEL_INGEST_EVERY=off TRAVEL_LOG=warn \
  "$(command -v chroot)" --userspec=10001:10001 "$root" /usr/local/bin/travel-allinone >"$root/../allinone.log" 2>&1 &
pid=$!
status=1
for _ in $(seq 1 600); do
  if body=$(curl -fsS "http://127.0.0.1:$port/health" 2>/dev/null); then
    echo "travel-allinone /health: $body"
    # The web app is embedded in the release binary (the Dockerfile's web stage).
    if curl -fsS "http://127.0.0.1:$port/" | grep -q 'id="app"'; then
      echo "travel-allinone /: the embedded web app"
      status=0
    else
      echo "travel-allinone / does not serve the web app" >&2
    fi
    break
  fi
  kill -0 "$pid" 2>/dev/null || break
  sleep 0.5
done
kill "$pid" 2>/dev/null || true
wait "$pid" 2>/dev/null || true
if [ $status -ne 0 ]; then cat "$root/../allinone.log" >&2; echo "the all-in-one did not serve /health" >&2; fi
exit $status
EOF
echo "image-check: ok"
