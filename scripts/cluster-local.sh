#!/usr/bin/env bash
# `npm run cluster:local`: a three-node Parley cluster on 127.0.0.1 for trying cluster mode.
# Uses the Redis at 127.0.0.1:6379 when it answers (else starts a private redis-server on
# 6390) and a Cassandra node from scripts/cassandra/cassandra.sh (reused when one answers,
# else fetched and started — its data is wiped at each start). Starts node1 first (it creates
# the demo app under data/cluster and the keyspace), then node2 and node3, on ports
# $PARLEY_CLUSTER_BASE_PORT+0..2 (default 8081..8083). Ctrl-C stops the nodes gracefully,
# then whatever this script started.
#
# Environment (optional): PARLEY_CLUSTER_BASE_PORT, PARLEY_THREADS, PARLEY_APPS (else the
# demo app), PARLEY_CLUSTER_DATA_DIR (default data/cluster), PARLEY_REDIS_PREFIX (default
# parley-local), PARLEY_CASSANDRA_KEYSPACE (default parley_local).
set -euo pipefail
cd "$(dirname "$0")/.."
[ -f dist/src/node/cli.js ] || npm run build

BASE=${PARLEY_CLUSTER_BASE_PORT:-8081}
DATA=${PARLEY_CLUSTER_DATA_DIR:-data/cluster}
LOGS=$DATA/logs
mkdir -p "$LOGS"
pids=()
started_cassandra=0
redis_pid=""

stopping=0
cleanup() {
  stopping=1
  trap - INT TERM EXIT
  if [ ${#pids[@]} -gt 0 ]; then
    echo "cluster-local: stopping the nodes" >&2
    kill -TERM "${pids[@]}" 2>/dev/null || true
    wait "${pids[@]}" 2>/dev/null || true
  fi
  if [ "$started_cassandra" = 1 ]; then bash scripts/cassandra/cassandra.sh stop || true; fi
  if [ -n "$redis_pid" ]; then kill "$redis_pid" 2>/dev/null || true; fi
}
trap cleanup INT TERM EXIT

if redis-cli -h 127.0.0.1 -p 6379 ping >/dev/null 2>&1; then
  REDIS_URL=redis://127.0.0.1:6379
else
  command -v redis-server >/dev/null || { echo "cluster-local: no Redis answers at 127.0.0.1:6379 and redis-server is not installed" >&2; exit 1; }
  redis-server --port 6390 --bind 127.0.0.1 --save "" --appendonly no >"$LOGS/redis.log" 2>&1 &
  redis_pid=$!
  for _ in $(seq 1 50); do redis-cli -p 6390 ping >/dev/null 2>&1 && break; sleep 0.1; done
  REDIS_URL=redis://127.0.0.1:6390
fi

if ! bash scripts/cassandra/cassandra.sh status >/dev/null 2>&1; then
  bash scripts/cassandra/cassandra.sh fetch
  out=$(bash scripts/cassandra/cassandra.sh start)
  case "$out" in started*) started_cassandra=1 ;; esac
fi

export PARLEY_REDIS_URL=$REDIS_URL
export PARLEY_REDIS_PREFIX=${PARLEY_REDIS_PREFIX:-parley-local}
export PARLEY_CASSANDRA_CONTACT_POINTS=127.0.0.1:${PARLEY_CASSANDRA_PORT:-9042}
export PARLEY_CASSANDRA_KEYSPACE=${PARLEY_CASSANDRA_KEYSPACE:-parley_local}
export PARLEY_DATA_DIR=$DATA
export PARLEY_HOST=127.0.0.1

start_node() { # $1 = 1..3
  local port=$((BASE + $1 - 1))
  PARLEY_NODE_ID=node$1 PARLEY_PORT=$port node dist/src/node/cli.js start >"$LOGS/node$1.out" 2>"$LOGS/node$1.log" &
  pids+=($!)
  local pid=$!
  for _ in $(seq 1 300); do
    grep -q "Parley listening" "$LOGS/node$1.out" 2>/dev/null && return 0
    kill -0 "$pid" 2>/dev/null || { echo "cluster-local: node$1 exited:" >&2; tail -5 "$LOGS/node$1.log" "$LOGS/node$1.out" >&2; return 1; }
    sleep 0.1
  done
  echo "cluster-local: node$1 did not start within 30 s" >&2
  return 1
}

for i in 1 2 3; do start_node "$i"; done
cat "$LOGS/node1.out"
echo
echo "Three nodes: http://127.0.0.1:$BASE/ http://127.0.0.1:$((BASE + 1))/ http://127.0.0.1:$((BASE + 2))/"
echo "Redis $REDIS_URL (prefix $PARLEY_REDIS_PREFIX), Cassandra $PARLEY_CASSANDRA_CONTACT_POINTS (keyspace $PARLEY_CASSANDRA_KEYSPACE); logs in $LOGS"
echo "User tokens for the demo app: PARLEY_DATA_DIR=$DATA npx parley usersig <userId>"
echo "Ctrl-C stops the cluster."
wait -n "${pids[@]}" || true
[ "$stopping" = 1 ] || echo "cluster-local: a node exited; stopping the others" >&2
