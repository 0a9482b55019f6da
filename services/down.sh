#!/usr/bin/env bash
# Stop the PostgreSQL and Redis servers that services/up.sh started (data is kept).
set -uo pipefail
cd "$(dirname "$0")/.."
DIR=${MESH_SERVICES_DIR:-$(pwd)/var/services}
PGBIN=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
if [ -s "$DIR/pg/postmaster.pid" ]; then
  if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$PGBIN/pg_ctl" -D "$DIR/pg" -m fast stop
  else "$PGBIN/pg_ctl" -D "$DIR/pg" -m fast stop; fi
fi
[ -s "$DIR/redis.pid" ] && kill "$(cat "$DIR/redis.pid")" 2>/dev/null && rm -f "$DIR/redis.pid"
exit 0
