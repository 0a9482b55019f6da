#!/usr/bin/env bash
# Build the OpenSearch test-server launcher (target/classes + target/lib/*.jar) with Maven,
# only when pom.xml or a source is newer than the last build. Quiet on success; on failure
# prints Maven's output and a one-line reason, and exits 1.
set -euo pipefail
cd "$(dirname "$0")"
stamp=target/.built
if [ -f "$stamp" ] && [ -z "$(find pom.xml src -newer "$stamp" -print -quit)" ]; then
  exit 0
fi
command -v mvn >/dev/null || { echo "services/opensearch: Maven (mvn) is not installed" >&2; exit 1; }
command -v java >/dev/null || { echo "services/opensearch: Java 17 (java) is not installed" >&2; exit 1; }
log=$(mktemp)
if ! mvn -q -B clean package -DskipTests >"$log" 2>&1; then
  cat "$log" >&2
  rm -f "$log"
  echo "services/opensearch: the Maven build of the OpenSearch launcher failed (output above)" >&2
  exit 1
fi
rm -f "$log"
touch "$stamp"
