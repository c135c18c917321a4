#!/usr/bin/env bash
# Starts a cluster on this machine for trying it out (issue 16): a private Redis, N web
# processes (daphne) and M room workers, all on free loopback ports, sharing one data
# directory (SQLite file and secret key). Ctrl-C stops everything.
# Usage: bash scripts/cluster.sh [WEBS=2] [WORKERS=2]
set -euo pipefail
cd "$(dirname "$0")/.."
webs=${1:-2}
workers=${2:-2}
bash scripts/setup.sh
command -v redis-server >/dev/null || {
  echo "redis-server is missing: apt-get install -y redis-server" >&2; exit 1; }

free_port() {
  .venv/bin/python -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}
export MQLAB_DATA_DIR=${MQLAB_DATA_DIR:-$PWD/.cluster}
mkdir -p "$MQLAB_DATA_DIR"
pids=()
cleanup() {
  # Web processes and workers first (a worker saves its rooms and lets its leases go in
  # Redis as it stops), Redis last.
  for ((i = ${#pids[@]} - 1; i >= 0; i--)); do
    kill "${pids[i]}" 2>/dev/null || true
    ((i == 0)) || wait "${pids[i]}" 2>/dev/null || true
  done
  wait 2>/dev/null || true
}
trap cleanup EXIT INT TERM

redis_port=$(free_port)
redis-server --bind 127.0.0.1 --port "$redis_port" --save '' --appendonly no \
  >"$MQLAB_DATA_DIR/redis.log" 2>&1 &
pids+=($!)
for _ in $(seq 50); do
  redis-cli -p "$redis_port" ping >/dev/null 2>&1 && break
  sleep 0.1
done
export MQLAB_REDIS_URL=redis://127.0.0.1:$redis_port/0
# Once, before the others start: the database's tables and the shared secret key.
.venv/bin/python manage.py migrate --noinput -v 0

for n in $(seq "$workers"); do
  .venv/bin/python manage.py roomworker --id "worker-$n" >"$MQLAB_DATA_DIR/worker-$n.log" 2>&1 &
  pids+=($!)
done
for n in $(seq "$webs"); do
  port=$(free_port)
  # _static_asgi: the app with its static files, so no separate web server is needed here.
  .venv/bin/daphne -b 127.0.0.1 -p "$port" mqlab.management.commands._static_asgi:app \
    >"$MQLAB_DATA_DIR/web-$n.log" 2>&1 &
  pids+=($!)
  echo "web process $n: http://127.0.0.1:$port/"
done
echo "Redis $MQLAB_REDIS_URL; $workers room worker(s); logs in $MQLAB_DATA_DIR. Ctrl-C stops all."
wait
