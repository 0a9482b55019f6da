#!/usr/bin/env bash
# Install (Debian's mariadb-server) and start MariaDB for the live MySQL tests, on loopback:
#   127.0.0.1:${MESH_MARIADB_PORT:-3306}, account `mesh` (no password, from 127.0.0.1 only,
#   all privileges), data in $MESH_MARIADB_DATA (default /var/lib/mesh-catalog/mariadb-<port>
#   as root, run as the `mysql` user; else var/services/mariadb), log next to it (<data>.log).
# Called by services/up.sh; runnable on its own. A server already answering on the port is
# reused. Exits non-zero, saying why, when MariaDB cannot be installed or started.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
DIR=${MESH_SERVICES_DIR:-$ROOT/var/services}
PORT=${MESH_MARIADB_PORT:-3306}
mkdir -p "$DIR"

fail() { echo "services: MariaDB: $*" >&2; exit 1; }
as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }
port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

if port_open "$PORT"; then
  echo "services: MariaDB already answering on 127.0.0.1:$PORT"
  exit 0
fi
MARIADBD=$(command -v mariadbd || ls /usr/sbin/mariadbd 2>/dev/null || true)
if [ -z "$MARIADBD" ]; then
  echo "services: installing mariadb-server from Debian's packages"
  as_root apt-get update -qq || fail "apt-get update failed"
  # policy-rc.d may forbid starting the packaged service: we start our own below
  DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq mariadb-server mariadb-client \
    >"$DIR/apt-mariadb.log" 2>&1 || { tail -20 "$DIR/apt-mariadb.log" >&2; fail "could not install mariadb-server"; }
  MARIADBD=$(command -v mariadbd || ls /usr/sbin/mariadbd 2>/dev/null) || fail "mariadbd not found after install"
fi

USER_ARGS=()
if [ "$(id -u)" = 0 ]; then
  id mysql >/dev/null 2>&1 || fail "no 'mysql' system user to run the server as"
  DATA=${MESH_MARIADB_DATA:-/var/lib/mesh-catalog/mariadb-$PORT}
  USER_ARGS=(--user=mysql)
  mkdir -p "$DATA" && chown mysql: "$DATA" && chmod 700 "$DATA"
  touch "$DATA.log" && chown mysql: "$DATA.log"
else
  DATA=${MESH_MARIADB_DATA:-$DIR/mariadb}
  mkdir -p "$DATA"
fi
LOG=$DATA.log
SOCK=$DATA/mariadbd.sock
if [ ! -d "$DATA/mysql" ]; then
  mariadb-install-db --no-defaults --datadir="$DATA" "${USER_ARGS[@]}" --skip-test-db \
    --auth-root-authentication-method=socket >"$DIR/mariadb-install.log" 2>&1 \
    || { tail -20 "$DIR/mariadb-install.log" >&2; fail "mariadb-install-db failed"; }
fi
# small and fast (a test server): no binary log, no performance schema, lazy flushes
setsid "$MARIADBD" --no-defaults --datadir="$DATA" "${USER_ARGS[@]}" \
  --bind-address=127.0.0.1 --port="$PORT" --socket="$SOCK" --pid-file="$DATA/mariadbd.pid" \
  --log-error="$LOG" --skip-name-resolve --skip-log-bin --performance-schema=OFF \
  --innodb-buffer-pool-size=64M --innodb-flush-log-at-trx-commit=0 --max-connections=100 \
  </dev/null >/dev/null 2>&1 &
for _ in $(seq 1 300); do port_open "$PORT" && break; sleep 0.2; done
port_open "$PORT" || { tail -20 "$LOG" >&2; fail "did not start on 127.0.0.1:$PORT (log $LOG)"; }
mariadb --no-defaults --socket="$SOCK" -u root -e \
  "CREATE USER IF NOT EXISTS 'mesh'@'127.0.0.1'; GRANT ALL ON *.* TO 'mesh'@'127.0.0.1' WITH GRANT OPTION;" \
  || fail "could not create the 'mesh' account (log $LOG)"
echo "services: MariaDB started on 127.0.0.1:$PORT (data $DATA, log $LOG)"
