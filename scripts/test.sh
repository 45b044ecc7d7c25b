#!/usr/bin/env bash
# `npm test`: installs what the tests need (scripts/test-setup.sh), builds, makes sure the
# real services answer — Redis at 127.0.0.1:6379 (or a private redis-server this script
# starts on another port) and a Cassandra node (scripts/cassandra/cassandra.sh) — runs every
# test with tap, then stops what it started. A service that cannot start fails the run.
# `npm run test:unit` (scripts/test-unit.mjs) is the fast tier without services.
# Extra arguments go to tap (e.g. `npm test -- test/e2e/c2c.test.ts`).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/test-setup.sh
npm run build
npx tsc -p tsconfig.test.json   # the tests type-check too (tap runs them untyped)
npm run check:layers            # the layer rules (.dependency-cruiser.cjs): a cycle or a forbidden import fails the run

started_cassandra=0
redis_pid=""
cleanup() {
  if [ "$started_cassandra" = 1 ]; then bash scripts/cassandra/cassandra.sh stop || true; fi
  if [ -n "$redis_pid" ]; then kill "$redis_pid" 2>/dev/null || true; fi
}
trap cleanup EXIT

# Redis: the machine's own at 6379 when it answers; otherwise a private one on 6390.
if redis-cli -h 127.0.0.1 -p 6379 ping >/dev/null 2>&1; then
  export PARLEY_TEST_REDIS_URL=${PARLEY_TEST_REDIS_URL:-redis://127.0.0.1:6379}
else
  command -v redis-server >/dev/null || { echo "test.sh: no Redis answers and redis-server is not installed" >&2; exit 1; }
  redis-server --port 6390 --bind 127.0.0.1 --save "" --appendonly no >/tmp/parley-test-redis.log 2>&1 &
  redis_pid=$!
  for _ in $(seq 1 50); do redis-cli -p 6390 ping >/dev/null 2>&1 && break; sleep 0.1; done
  redis-cli -p 6390 ping >/dev/null || { echo "test.sh: private redis-server did not start" >&2; exit 1; }
  export PARLEY_TEST_REDIS_URL=redis://127.0.0.1:6390
fi

# Cassandra: reuse a node that answers, else fetch the jars and start one for this run.
if ! bash scripts/cassandra/cassandra.sh status >/dev/null 2>&1; then
  bash scripts/cassandra/cassandra.sh fetch
  out=$(bash scripts/cassandra/cassandra.sh start)
  case "$out" in started*) started_cassandra=1 ;; esac
fi
export PARLEY_CASSANDRA_CONTACT_POINTS=${PARLEY_CASSANDRA_CONTACT_POINTS:-127.0.0.1:${PARLEY_CASSANDRA_PORT:-9042}}

npx tap "$@"
