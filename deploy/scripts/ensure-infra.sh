#!/usr/bin/env bash
# Makes sure the servers of `make test-infra` answer: MariaDB (or MySQL) on
# 127.0.0.1:3306 and Redis on 127.0.0.1:6379. Machines of this project's kind run
# both already; this starts them if they are installed but stopped, and fails with a
# clear message otherwise (the suites never skip a missing server).
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
