#!/usr/bin/env bash
# Sets up everything mqlab needs on a fresh Debian machine (Python 3.11, root). Idempotent:
# a second run only checks. Usage: bash scripts/setup.sh [--for-tests]
set -euo pipefail
cd "$(dirname "$0")/.."

want_apt=()
if [[ "${1:-}" == "--for-tests" ]]; then
  # Browser tests drive Debian's Chromium (Playwright cannot download its own here);
  # the channel-layer tests run against a real Redis.
  [[ -x /usr/bin/chromium ]] || want_apt+=(chromium fonts-liberation)
  command -v redis-server >/dev/null || want_apt+=(redis-server)
fi
if ((${#want_apt[@]})); then
  export DEBIAN_FRONTEND=noninteractive
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
.venv/bin/python manage.py migrate --noinput -v 0
