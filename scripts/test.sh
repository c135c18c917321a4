#!/usr/bin/env bash
# Sets everything up and runs the whole test suite (engine, web, browser). With arguments,
# one pytest run gets them instead.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh --for-tests

run_dir=$(mktemp -d "${PWD}/.test-run.XXXXXX")
export TMPDIR=$run_dir            # a killed run leaves browser profiles here, not in /tmp
export MQLAB_SCREENSHOTS=${MQLAB_SCREENSHOTS:-$PWD/test-screenshots}

# A private RabbitMQ node for the conformance tests, started first (it takes ~15 s): free
# loopback ports, its own data and epmd under $run_dir; SIGTERM stops the node and its epmd.
.venv/bin/python -m tests.conformance.rabbitmq.node "$run_dir/rabbitmq.url" \
  >"$run_dir/rabbitmq.log" 2>&1 &
rabbitmq_pid=$!

# A private Redis on a free loopback port for the channels-redis tests.
port=$(.venv/bin/python -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
redis-server --bind 127.0.0.1 --port "$port" --save '' --appendonly no >"$run_dir/redis.log" 2>&1 &
redis_pid=$!
cleanup() {
  kill "$redis_pid" 2>/dev/null || true
  { kill "$rabbitmq_pid" && wait "$rabbitmq_pid"; } 2>/dev/null || true
  rm -rf "$run_dir"
}
trap cleanup EXIT
for _ in $(seq 50); do
  redis-cli -p "$port" ping >/dev/null 2>&1 && break
  sleep 0.1
done
export MQLAB_TEST_REDIS_URL=redis://127.0.0.1:$port/0

for _ in $(seq 900); do
  [[ -s $run_dir/rabbitmq.url ]] && break
  kill -0 "$rabbitmq_pid" 2>/dev/null || break
  sleep 0.1
done
if [[ -s $run_dir/rabbitmq.url ]]; then
  MQLAB_TEST_RABBITMQ_URL=$(cat "$run_dir/rabbitmq.url")
  export MQLAB_TEST_RABBITMQ_URL
else
  echo "RabbitMQ did not start (see below); the conformance tests will say so" >&2
  tail -20 "$run_dir/rabbitmq.log" >&2 || true
fi

if [[ $# -gt 0 ]]; then
  .venv/bin/python -m pytest "$@"
  exit 0
fi
# The whole suite in two runs, each sharing the cores (pytest-xdist, a file per worker; each
# browser worker has its own live server and Chromium): engine, web and conformance tests
# first, then the browser tests, apart, because sync Playwright keeps an event loop that the
# pytest-asyncio tests must never run after.
status=0
workers=${MQLAB_TEST_WORKERS:-2}
.venv/bin/python -m pytest -n "$workers" --dist loadfile --ignore=tests/e2e || status=$?
.venv/bin/python -m pytest -n "$workers" --dist loadfile tests/e2e || status=$?
exit "$status"
