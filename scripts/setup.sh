#!/usr/bin/env bash
# Sets up everything mqlab needs on a fresh Debian machine (Python 3.11, root). Idempotent:
# a second run only checks. Usage: bash scripts/setup.sh [--for-tests]
set -euo pipefail
cd "$(dirname "$0")/.."

want_apt=()
if [[ "${1:-}" == "--for-tests" ]]; then
  # Browser tests drive Debian's Chromium (Playwright cannot download its own here);
  # the channel-layer tests run against a real Redis, the conformance tests against a real
  # RabbitMQ (scripts/test.sh starts private instances of both).
  [[ -x /usr/bin/chromium ]] || want_apt+=(chromium fonts-liberation)
  command -v redis-server >/dev/null || want_apt+=(redis-server)
  [[ -x /usr/lib/rabbitmq/bin/rabbitmq-server ]] || want_apt+=(rabbitmq-server)
fi
if ((${#want_apt[@]})); then
  export DEBIAN_FRONTEND=noninteractive
  # Packages must not start system services (a RabbitMQ node on 5672, a Redis on 6379):
  # a policy-rc.d that says "no" for the install, unless the machine has its own.
  policy=/usr/sbin/policy-rc.d
  if [[ ! -e $policy ]]; then
    printf '#!/bin/sh\nexit 101\n' >"$policy" && chmod +x "$policy"
    trap 'rm -f "$policy"' EXIT
  fi
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${want_apt[@]}" >/dev/null
fi

if [[ ! -x .venv/bin/python ]]; then
  python3 -m venv .venv
fi
stamp=.venv/.installed-$(sha1sum pyproject.toml | cut -c1-12)
if [[ ! -f $stamp ]]; then
  .venv/bin/pip install -q --disable-pip-version-check -e '.[test]'
  rm -f .venv/.installed-*
  touch "$stamp"
fi
if [[ "${1:-}" == "--for-tests" && ! -d .venv/awscli/awscli ]]; then
  # The AWS CLI, for the test that drives a room's SQS endpoint with it. It pins its own
  # botocore, so it goes into a folder of its own (run with PYTHONPATH) and never changes
  # the venv's boto3.
  .venv/bin/pip install -q --disable-pip-version-check --target .venv/awscli awscli
fi
.venv/bin/python manage.py migrate --noinput -v 0
