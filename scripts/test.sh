#!/usr/bin/env bash
# Sets everything up and runs the whole test suite (engine, web, browser). Extra arguments
# go to pytest.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh --for-tests

run_dir=$(mktemp -d "${PWD}/.test-run.XXXXXX")
export TMPDIR=$run_dir            # a killed run leaves browser profiles here, not in /tmp
export MQLAB_SCREENSHOTS=${MQLAB_SCREENSHOTS:-$PWD/test-screenshots}

# A private Redis on a free loopback port for the channels-redis tests.
port=$(.venv/bin/python -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
redis-server --bind 127.0.0.1 --port "$port" --save '' --appendonly no >"$run_dir/redis.log" 2>&1 &
redis_pid=$!
cleanup() { kill "$redis_pid" 2>/dev/null || true; rm -rf "$run_dir"; }
trap cleanup EXIT
for _ in $(seq 50); do
  redis-cli -p "$port" ping >/dev/null 2>&1 && break
  sleep 0.1
done
export MQLAB_TEST_REDIS_URL=redis://127.0.0.1:$port/0

.venv/bin/python -m pytest "$@"
