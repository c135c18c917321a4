#!/usr/bin/env bash
# Sets everything up and starts mqlab on http://127.0.0.1:8000 (daphne, via runserver).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
export DJANGO_DEBUG="${DJANGO_DEBUG:-1}"
# --insecure serves the app's own static files (htmx, JS, CSS) even with DEBUG off: no CDN.
exec .venv/bin/python manage.py runserver 127.0.0.1:8000 --insecure
