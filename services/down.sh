#!/usr/bin/env bash
# Stop the PostgreSQL, Redis and MariaDB servers that services/up.sh started (data is kept).
set -uo pipefail
cd "$(dirname "$0")/.."
DIR=${MESH_SERVICES_DIR:-$(pwd)/var/services}
PG_PORT=${MESH_PG_PORT:-5432}
PGBIN=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
if [ "$(id -u)" = 0 ]; then
  PGDATA=${MESH_PG_DATA:-/var/lib/mesh-catalog/pg-$PG_PORT}
  [ -s "$PGDATA/postmaster.pid" ] && runuser -u postgres -- "$PGBIN/pg_ctl" -D "$PGDATA" -m fast stop
else
  PGDATA=${MESH_PG_DATA:-$DIR/pg}
  [ -s "$PGDATA/postmaster.pid" ] && "$PGBIN/pg_ctl" -D "$PGDATA" -m fast stop
fi
[ -s "$DIR/redis.pid" ] && kill "$(cat "$DIR/redis.pid")" 2>/dev/null && rm -f "$DIR/redis.pid"
MARIADB_PORT=${MESH_MARIADB_PORT:-3306}
if [ "$(id -u)" = 0 ]; then MYDATA=${MESH_MARIADB_DATA:-/var/lib/mesh-catalog/mariadb-$MARIADB_PORT}
else MYDATA=${MESH_MARIADB_DATA:-$DIR/mariadb}; fi
[ -s "$MYDATA/mariadbd.pid" ] && kill "$(cat "$MYDATA/mariadbd.pid")" 2>/dev/null
exit 0
