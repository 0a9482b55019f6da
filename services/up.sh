#!/usr/bin/env bash
# Install (Debian packages) and start the servers the test suite needs, on loopback:
#   PostgreSQL  127.0.0.1:${MESH_PG_PORT:-5432}, superuser `postgres`, trust auth, data in
#               $MESH_PG_DATA (default /var/lib/mesh-catalog/pg-<port> as root, else var/services/pg)
#   Redis       127.0.0.1:${MESH_REDIS_PORT:-6379}, no persistence
#   MariaDB     127.0.0.1:${MESH_MARIADB_PORT:-3306}, account `mesh` without password, data in
#               $MESH_MARIADB_DATA (services/mariadb.sh; the live MySQL harvester tests)
# and build the Neo4j and OpenSearch launchers (services/neo4j, services/opensearch) with
# Maven; the test suite starts those two itself (tests/servers.py) on free loopback ports.
# A server that is already answering on its port is reused. Exits non-zero, saying which
# service and why, when anything cannot be installed, built or started.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
DIR=${MESH_SERVICES_DIR:-$ROOT/var/services}
PG_PORT=${MESH_PG_PORT:-5432}
REDIS_PORT=${MESH_REDIS_PORT:-6379}
mkdir -p "$DIR"

fail() { echo "services: $*" >&2; exit 1; }
as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }

missing=()
PGBIN=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1 || true)
[ -n "$PGBIN" ] && [ -x "$PGBIN/pg_ctl" ] || missing+=(postgresql postgresql-contrib)
command -v redis-server >/dev/null || missing+=(redis-server)
command -v chromium >/dev/null || missing+=(chromium)
if [ ${#missing[@]} -gt 0 ]; then
  echo "services: installing ${missing[*]} from Debian's packages"
  as_root apt-get update -qq || fail "apt-get update failed"
  DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq "${missing[@]}" >"$DIR/apt.log" 2>&1 \
    || { tail -20 "$DIR/apt.log" >&2; fail "could not install ${missing[*]}"; }
  PGBIN=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)
fi

port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
wait_port() {  # name port seconds
  for _ in $(seq 1 $(( $3 * 5 ))); do port_open "$2" && return 0; sleep 0.2; done
  return 1
}

# PostgreSQL: a cluster of our own, run as the `postgres` user (it refuses root).
if port_open "$PG_PORT"; then
  echo "services: PostgreSQL already answering on 127.0.0.1:$PG_PORT"
else
  PGDATA=${MESH_PG_DATA:-$DIR/pg}
  RUNAS=()
  if [ "$(id -u)" = 0 ]; then
    id postgres >/dev/null 2>&1 || fail "PostgreSQL: no 'postgres' system user to run the server as"
    # the server runs as `postgres`, which may not reach into a checkout under a private
    # folder: as root the cluster lives in /var/lib/mesh-catalog unless told otherwise
    PGDATA=${MESH_PG_DATA:-/var/lib/mesh-catalog/pg-$PG_PORT}
    mkdir -p "$PGDATA" && chown postgres: "$PGDATA" && chmod 700 "$PGDATA"
    RUNAS=(runuser -u postgres --)
  fi
  PGLOG=$PGDATA.log
  if [ -n "${RUNAS[*]}" ]; then touch "$PGLOG" && chown postgres: "$PGLOG"; fi
  if [ ! -s "$PGDATA/PG_VERSION" ]; then
    "${RUNAS[@]}" "$PGBIN/initdb" -D "$PGDATA" -U postgres --auth=trust -E UTF8 \
      --locale=C.UTF-8 >"$DIR/pg-initdb.log" 2>&1 \
      || { tail -20 "$DIR/pg-initdb.log" >&2; fail "PostgreSQL: initdb failed"; }
  fi
  # pg_stat_statements is preloaded so the usage harvester can be tested live.
  "${RUNAS[@]}" "$PGBIN/pg_ctl" -D "$PGDATA" -l "$PGLOG" -w -t 60 start -o \
    "-h 127.0.0.1 -p $PG_PORT -k $PGDATA -c max_connections=200 -c fsync=off \
     -c synchronous_commit=off -c full_page_writes=off \
     -c shared_preload_libraries=pg_stat_statements" >/dev/null \
    || { tail -20 "$PGLOG" >&2; fail "PostgreSQL did not start on 127.0.0.1:$PG_PORT"; }
  wait_port PostgreSQL "$PG_PORT" 30 || fail "PostgreSQL is not listening on 127.0.0.1:$PG_PORT"
  echo "services: PostgreSQL started on 127.0.0.1:$PG_PORT (data $PGDATA, log $PGLOG)"
fi

# Redis
if port_open "$REDIS_PORT"; then
  echo "services: Redis already answering on 127.0.0.1:$REDIS_PORT"
else
  mkdir -p "$DIR/redis"
  redis-server --port "$REDIS_PORT" --bind 127.0.0.1 --daemonize yes --save '' \
    --appendonly no --dir "$DIR/redis" --logfile "$DIR/redis.log" \
    --pidfile "$DIR/redis.pid" || fail "Redis did not start"
  wait_port Redis "$REDIS_PORT" 20 || { tail -20 "$DIR/redis.log" >&2; fail "Redis is not listening on 127.0.0.1:$REDIS_PORT"; }
  echo "services: Redis started on 127.0.0.1:$REDIS_PORT"
fi

# MariaDB (Debian's mariadb-server) for the SQL harvester's live MySQL tests
bash services/mariadb.sh || fail "MariaDB could not be installed or started (see above)"

# The Java launchers of the Neo4j and OpenSearch test servers (built once per machine;
# Maven's local repository keeps the jars between runs).
for launcher in services/neo4j services/opensearch; do
  [ -f "$launcher/pom.xml" ] || continue
  "$launcher/build.sh" || fail "could not build $launcher (see the Maven output above)"
done

# The OpenID Connect provider of the single sign-on tests (npm ci from package-lock.json).
services/oidc/build.sh || fail "could not install the test OIDC provider (services/oidc)"
