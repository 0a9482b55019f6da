#!/usr/bin/env bash
# Build the Neo4j test-server launcher (target/neo4j-launcher.jar + target/lib/) with Maven,
# only when it is missing or older than pom.xml / the sources. Quiet; exits non-zero with a
# clear message when Java 17+ or Maven is missing or the build fails. Maven's local
# repository (~/.m2) keeps the downloaded jars, so this is a one-off per machine.
set -euo pipefail
cd "$(dirname "$0")"
JAR=target/neo4j-launcher.jar
fail() { echo "services/neo4j: $*" >&2; exit 1; }

if [ -f "$JAR" ] && [ -d target/lib ] \
   && [ -z "$(find pom.xml src -newer "$JAR" -print -quit)" ]; then
  exit 0  # up to date
fi
command -v mvn >/dev/null || fail "Maven (mvn) is not installed; apt-get install maven"
if [ -z "${JAVA_HOME:-}" ] && [ -d /usr/lib/jvm/java-17-openjdk-amd64 ]; then
  export JAVA_HOME=/usr/lib/jvm/java-17-openjdk-amd64
fi
JAVA=${JAVA_HOME:+$JAVA_HOME/bin/}java
"$JAVA" -version >/dev/null 2>&1 || fail "no Java found (need Java 17 or newer; set JAVA_HOME)"
echo "services/neo4j: building the Neo4j launcher with Maven (first time: downloads ~100 MB of jars)"
rm -rf target/lib && mkdir -p target
mvn -q -B package -DskipTests >target/build.log 2>&1 || {
  tail -40 target/build.log >&2
  fail "Maven build failed (full log: services/neo4j/target/build.log)"
}

[ -f "$JAR" ] || fail "Maven finished but $JAR is missing"
echo "services/neo4j: built $JAR"
