"""Settings outside DEBUG: a random persisted secret key, and a clean ``check --deploy``.

Each case starts a fresh interpreter: settings are read once per process."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
FIXED_KEY = "mqlab-development-key-not-for-production-use-set-DJANGO_SECRET_KEY"


def run(args: list[str], **env: str) -> subprocess.CompletedProcess[str]:
    environment = {k: v for k, v in os.environ.items()
                   if not k.startswith(("DJANGO_", "MQLAB_"))}
    environment.update(env, DJANGO_SETTINGS_MODULE="mqlab.settings")
    return subprocess.run([sys.executable, *args], cwd=ROOT, env=environment,
                          capture_output=True, text=True, timeout=60)


def secret_key(**env: str) -> str:
    code = "from django.conf import settings; print(settings.SECRET_KEY)"
    result = run(["-c", code], **env)
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


def test_without_debug_the_key_is_random_and_persisted(tmp_path):
    first = secret_key(MQLAB_DATA_DIR=str(tmp_path / "a"))
    assert first != FIXED_KEY and len(first) >= 50
    key_file = tmp_path / "a" / "mqlab-secret.key"
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert secret_key(MQLAB_DATA_DIR=str(tmp_path / "a")) == first
    assert secret_key(MQLAB_DATA_DIR=str(tmp_path / "b")) != first


def test_the_key_lives_next_to_the_database_by_default(tmp_path):
    key = secret_key(MQLAB_DB=str(tmp_path / "mqlab.sqlite3"))
    assert (tmp_path / "mqlab-secret.key").read_text().strip() == key


def test_an_explicit_key_wins_and_writes_nothing(tmp_path):
    key = "k" * 30 + "ey-from-the-environment-0123456789"
    assert secret_key(DJANGO_SECRET_KEY=key, MQLAB_DATA_DIR=str(tmp_path)) == key
    assert not any(tmp_path.iterdir())


def test_debug_keeps_the_development_key(tmp_path):
    assert secret_key(DJANGO_DEBUG="1", MQLAB_DATA_DIR=str(tmp_path)) == FIXED_KEY


def test_check_deploy_is_clean_with_the_documented_production_settings(tmp_path):
    # --fail-level WARNING: any deployment warning (HSTS, secure cookies, SSL redirect, a weak
    # key) fails this test, not only errors.
    result = run(["manage.py", "check", "--deploy", "--fail-level", "WARNING"],
                 MQLAB_DATA_DIR=str(tmp_path), MQLAB_HTTPS="1",
                 DJANGO_ALLOWED_HOSTS="mqlab.example.org")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_with_debug_the_policy_only_reports(tmp_path):
    # Django's debug pages and django-htmx's DEBUG helper run inline scripts.
    code = ("import django; django.setup(); from django.test import Client;"
            " r = Client(HTTP_HOST='localhost').get('/scenarios/import/');"
            " print(sorted(k for k in r.headers if k.startswith('Content-Security')))")
    result = run(["-c", code], DJANGO_DEBUG="1", MQLAB_DATA_DIR=str(tmp_path))
    assert result.stdout.strip() == "['Content-Security-Policy-Report-Only']", result.stderr
