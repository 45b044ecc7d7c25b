#!/usr/bin/env bash
# A throwaway single-node Apache Cassandra 5.0 for Parley's tests, run from the
# org.apache.cassandra:cassandra-all jars on Maven Central on OpenJDK 17 (no tarball, no Docker).
# Facts and measurements: docs/cassandra.md.
#
#   cassandra.sh fetch    copy cassandra-all (pinned in pom.xml) and its runtime closure into
#                         .cassandra/lib; a no-op when that pom's jar set is already there
#   cassandra.sh start    wipe .cassandra/data, start the node in the background, wait until a
#                         real CQL query answers (exit 1, with the log tail, if it does not);
#                         prints "started <pid>" on stdout, or "running <pid>" when a node
#                         started earlier by this script already answers
#   cassandra.sh stop     SIGTERM, wait, SIGKILL; a no-op when not running
#   cassandra.sh status   exit 0 and print the pid when running and answering, else exit 3
#
# Environment (all optional):
#   PARLEY_CASSANDRA_PORT           CQL port on 127.0.0.1 (default 9042)
#   PARLEY_CASSANDRA_STORAGE_PORT   internode port on 127.0.0.1 (default 7000)
#   PARLEY_CASSANDRA_HEAP           -Xms/-Xmx (default 768m)
#   PARLEY_CASSANDRA_START_TIMEOUT  seconds to wait for readiness (default 180)
#   PARLEY_CASSANDRA_HOME           state directory (default <project>/.cassandra)
#   PARLEY_CASSANDRA_JAVA_HOME      a Java 17 home (default: Debian's OpenJDK 17; any other
#                                   major version, and Temurin, are refused)
#
# Files under the state directory: lib/ (jars), conf/ (rendered cassandra.yaml, logback.xml),
# data/ (wiped at each start), tmp/ (java.io.tmpdir, for JNA's native library), cassandra.pid,
# cassandra.log (the daemon's stdout: logback INFO and startup errors).
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
BASE=${PARLEY_CASSANDRA_HOME:-$ROOT/.cassandra}
LIB=$BASE/lib
CONF=$BASE/conf
DATA=$BASE/data
TMPD=$BASE/tmp
PIDFILE=$BASE/cassandra.pid
LOG=$BASE/cassandra.log
PORT=${PARLEY_CASSANDRA_PORT:-9042}
STORAGE_PORT=${PARLEY_CASSANDRA_STORAGE_PORT:-7000}
HEAP=${PARLEY_CASSANDRA_HEAP:-768m}
START_TIMEOUT=${PARLEY_CASSANDRA_START_TIMEOUT:-180}
# Pinned: Maven 3.8.7's built-in default for dependency: is the ancient 2.8.
DEPENDENCY_PLUGIN=org.apache.maven.plugins:maven-dependency-plugin:3.8.1

say() { echo "cassandra.sh: $*" >&2; }
die() { say "$*"; exit 1; }

# Debian's OpenJDK 17, chosen explicitly: Cassandra 5.0 supports Java 11 and 17 only, and the
# machines also carry a Temurin 25 that must never be picked up from PATH.
find_java_home() {
  local candidates=("${PARLEY_CASSANDRA_JAVA_HOME:-}" /usr/lib/jvm/java-17-openjdk-*)
  local home
  for home in "${candidates[@]}"; do
    [ -n "$home" ] && [ -x "$home/bin/java" ] || continue
    local version
    version=$("$home/bin/java" -version 2>&1)
    if grep -q 'version "17' <<<"$version" && ! grep -qi temurin <<<"$version$home"; then
      echo "$home"
      return 0
    fi
  done
  return 1
}

# On a fresh machine of this kind both are normally present; install them when missing
# (as root, like scripts/test-setup.sh) so that a missing tool fails loudly, not silently.
ensure_tools() {
  local missing=()
  find_java_home >/dev/null || missing+=(openjdk-17-jre-headless)
  command -v mvn >/dev/null 2>&1 || missing+=(maven)
  [ ${#missing[@]} -eq 0 ] && return 0
  [ "$(id -u)" -eq 0 ] || die "missing ${missing[*]} and not root to apt-get install them"
  say "installing ${missing[*]} from Debian"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
  find_java_home >/dev/null || die "no OpenJDK 17 after installing it"
}

# Idempotent: the jar set is tagged with the hash of pom.xml; a changed pin re-fetches.
cmd_fetch() {
  ensure_tools
  local java_home stamp
  java_home=$(find_java_home)
  stamp=$(sha256sum "$HERE/pom.xml" | cut -d' ' -f1)
  if [ -f "$LIB/.fetched" ] && [ "$(cat "$LIB/.fetched")" = "$stamp" ]; then
    say "jars already in $LIB"
    return 0
  fi
  mkdir -p "$BASE"
  local staging=$BASE/lib.partial
  rm -rf "$staging"
  say "fetching cassandra-all and its runtime dependencies with Maven"
  JAVA_HOME=$java_home mvn -B -q -Dstyle.color=never -f "$HERE/pom.xml" "$DEPENDENCY_PLUGIN:copy-dependencies" \
    -DincludeScope=runtime -DoutputDirectory="$staging" \
    || die "mvn could not fetch the jars (is Maven Central reachable?)"
  ls "$staging"/cassandra-all-*.jar >/dev/null 2>&1 || die "mvn finished but no cassandra-all jar in $staging"
  echo "$stamp" >"$staging/.fetched"
  rm -rf "$LIB"
  mv "$staging" "$LIB"
  say "fetched $(ls "$LIB"/*.jar | wc -l) jars ($(du -sh "$LIB" | cut -f1)) into $LIB"
}

pid_alive() {
  local pid=$1
  [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null && tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -q CassandraDaemon
}

# Exists and is not a zombie (the launched child may still be between fork and exec, so its
# command line is not yet the daemon's).
proc_running() {
  local state
  state=$(sed 's/.*) //' "/proc/$1/stat" 2>/dev/null | cut -d' ' -f1) || return 1
  [ -n "$state" ] && [ "$state" != Z ] && [ "$state" != X ]
}

current_pid() {
  [ -f "$PIDFILE" ] || return 1
  local pid
  pid=$(cat "$PIDFILE")
  pid_alive "$pid" || return 1
  echo "$pid"
}

port_open() {
  (exec 3<>"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null
}

# A real query through the project's cassandra-driver, not just an open port.
probe() {
  node "$HERE/probe.mjs" "$PORT" 2>/dev/null
}

rss_mib() {
  awk '/^VmRSS:/ { printf "%d", $2 / 1024 }' "/proc/$1/status" 2>/dev/null || echo "?"
}

jvm_flags() {
  local flags=(
    -Xms"$HEAP" -Xmx"$HEAP" -Xss256k -XX:+UseG1GC -XX:+ExitOnOutOfMemoryError
    -ea -da:net.openhft...
    -Djava.net.preferIPv4Stack=true
    -Djdk.attach.allowAttachSelf=true
    -Dio.netty.tryReflectionSetAccessible=true
    -Dio.netty.allocator.useCacheForAllThreads=true
    -Dio.netty.allocator.maxOrder=11
    -Dchronicle.analytics.disable=true
    -Djava.io.tmpdir="$TMPD"
    -Dcassandra.config="file://$CONF/cassandra.yaml"
    -Dlogback.configurationFile="$CONF/logback.xml"
    -Dcassandra.storagedir="$DATA"
    -Dcassandra.logdir="$BASE/logs"
    -Dcassandra-foreground=yes
    # Test-only knobs: no gossip-settle wait, no blocking system-table flushes, no fsync.
    -Dcassandra.skip_wait_for_gossip_to_settle=0
    -Dcassandra.ring_delay_ms=1000
    -Dcassandra.unsafesystem=true
    -Dcassandra.skip_sync=true
    -Dcassandra.test.flush_local_schema_changes=false
  )
  # The JPMS set of conf/jvm17-server.options (5.0) plus what bin/cassandra.in.sh adds on a
  # full JDK; unknown entries only warn, and gaps can surface at query time, so pass it all.
  local e
  for e in java.base/jdk.internal.misc java.management.rmi/com.sun.jmx.remote.internal.rmi \
    java.management/com.sun.jmx.remote.security java.rmi/sun.rmi.registry java.rmi/sun.rmi.server \
    java.sql/java.sql java.base/java.lang.ref jdk.unsupported/sun.misc jdk.attach/sun.tools.attach \
    jdk.compiler/com.sun.tools.javac.file; do
    flags+=(--add-exports "$e=ALL-UNNAMED")
  done
  for e in java.base/java.lang.module java.base/jdk.internal.loader java.base/jdk.internal.ref \
    java.base/jdk.internal.reflect java.base/jdk.internal.math java.base/jdk.internal.module \
    java.base/jdk.internal.util.jar jdk.management/com.sun.management.internal java.base/sun.nio.ch \
    java.base/java.io java.base/java.lang.reflect java.base/java.lang java.base/java.util \
    java.base/java.nio jdk.compiler/com.sun.tools.javac; do
    flags+=(--add-opens "$e=ALL-UNNAMED")
  done
  local jamm
  jamm=$(ls "$LIB"/jamm-*.jar 2>/dev/null | head -n 1 || true)
  [ -n "$jamm" ] && flags+=(-javaagent:"$jamm")
  printf '%s\n' "${flags[@]}"
}

fail_start() {
  local pid=$1 why=$2
  say "$why"
  say "last lines of $LOG:"
  tail -n 60 "$LOG" >&2 || true
  if proc_running "$pid"; then kill -KILL "$pid" 2>/dev/null || true; fi
  rm -f "$PIDFILE"
  exit 1
}

cmd_start() {
  local java_home
  java_home=$(find_java_home) || die "no OpenJDK 17 found (run: $0 fetch, which installs it as root)"
  [ -f "$LIB/.fetched" ] || die "no jars in $LIB: run $0 fetch first"
  mkdir -p "$BASE"
  # Serialise concurrent starts (e.g. two test files): the second finds the first's node.
  exec 9>"$BASE/start.lock"
  flock -w "$((START_TIMEOUT + 30))" 9 || die "timed out waiting for another start to finish"

  local pid
  if pid=$(current_pid); then
    if probe >/dev/null; then
      say "already running (pid $pid) on 127.0.0.1:$PORT"
      echo "running $pid"
      return 0
    fi
    die "pid $pid is running but 127.0.0.1:$PORT does not answer; run $0 stop first"
  fi
  rm -f "$PIDFILE"
  port_open && die "127.0.0.1:$PORT is already in use by another process"

  rm -rf "$DATA" "$TMPD"
  mkdir -p "$DATA" "$CONF" "$TMPD" "$BASE/logs"
  sed -e "s/@NATIVE_PORT@/$PORT/g" -e "s/@STORAGE_PORT@/$STORAGE_PORT/g" \
    "$HERE/cassandra.yaml" >"$CONF/cassandra.yaml"
  cp "$HERE/logback.xml" "$CONF/logback.xml"

  local flags=()
  mapfile -t flags < <(jvm_flags)
  local started=$SECONDS
  # setsid: the node gets its own session, so it outlives this shell and the caller's
  # process group; stop it with `cassandra.sh stop`.
  setsid "$java_home/bin/java" "${flags[@]}" -cp "$CONF:$LIB/*" \
    org.apache.cassandra.service.CassandraDaemon >"$LOG" 2>&1 </dev/null &
  pid=$!
  echo "$pid" >"$PIDFILE"
  say "started pid $pid (heap $HEAP, CQL 127.0.0.1:$PORT), waiting up to ${START_TIMEOUT}s"

  while :; do
    proc_running "$pid" || fail_start "$pid" "the java process exited during startup"
    if port_open && probe >/dev/null; then break; fi
    [ $((SECONDS - started)) -lt "$START_TIMEOUT" ] || fail_start "$pid" "not ready after ${START_TIMEOUT}s"
    sleep 1
  done
  say "ready in $((SECONDS - started))s: pid $pid, 127.0.0.1:$PORT, Cassandra $(probe), RSS $(rss_mib "$pid") MiB"
  echo "started $pid"
}

cmd_stop() {
  local pid
  if ! pid=$(current_pid); then
    rm -f "$PIDFILE"
    say "not running"
    return 0
  fi
  kill -TERM "$pid" 2>/dev/null || true
  local i
  for i in $(seq 1 60); do
    pid_alive "$pid" || break
    sleep 0.5
  done
  if pid_alive "$pid"; then
    say "pid $pid ignored SIGTERM for 30s; sending SIGKILL"
    kill -KILL "$pid" 2>/dev/null || true
  fi
  rm -f "$PIDFILE"
  say "stopped pid $pid"
}

cmd_status() {
  local pid
  if pid=$(current_pid) && probe >/dev/null; then
    echo "running: pid $pid, 127.0.0.1:$PORT, RSS $(rss_mib "$pid") MiB"
    return 0
  fi
  echo "not running"
  return 3
}

case "${1:-}" in
  fetch) cmd_fetch ;;
  start) cmd_start ;;
  stop) cmd_stop ;;
  status) cmd_status ;;
  *) die "usage: $0 fetch|start|stop|status" ;;
esac
