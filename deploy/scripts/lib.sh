# Shared by the scripts that start the all-in-one for a check (source it).

# A loopback port free at the moment of asking.
free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# wait_for URL PID LOG: until URL answers 2xx; fails (printing LOG) if PID exits first
# or after 5 minutes.
wait_for() {
  for _ in $(seq 1 600); do
    if curl -fsS "$1" >/dev/null 2>&1; then return 0; fi
    if ! kill -0 "$2" 2>/dev/null; then cat "$3" >&2; echo "exited before answering $1" >&2; return 1; fi
    sleep 0.5
  done
  cat "$3" >&2
  echo "no answer from $1" >&2
  return 1
}
