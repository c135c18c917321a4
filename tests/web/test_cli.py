"""The ``mqlab`` console script (``[project.scripts]``): ``mqlab serve`` starts the embedded
default on a fresh per-user data directory (migrations applied on start, static files
served), and the other words are manage.py's commands. Run as ``python -m mqlab.cli``, which
is what the installed script calls (``mqlab.cli:main``)."""

from __future__ import annotations

import os
import subprocess
import sys
import time
import urllib.error
import urllib.request

import pytest

from mqlab.cli import user_data_dir
from mqlab.management.commands._server import ROOT, Browser, free_port


def _env(**extra: str) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items()
           if key not in ("MQLAB_DB", "MQLAB_DATA_DIR", "MQLAB_REDIS_URL", "DJANGO_DEBUG")}
    return {**env, **extra}


def _get(url: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()


@pytest.mark.timeout(180)
def test_mqlab_serve_starts_on_a_fresh_data_dir(tmp_path):
    port = free_port()
    data = tmp_path / "data" / "mqlab"
    log = open(tmp_path / "serve.log", "wb")  # noqa: SIM115 (closed below)
    server = subprocess.Popen([sys.executable, "-m", "mqlab.cli", "serve", "--port", str(port),
                               "--data-dir", str(data)], cwd=tmp_path, env=_env(
                                   PYTHONPATH=str(ROOT)), stdout=log, stderr=log)
    try:
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 120
        while True:
            assert server.poll() is None, (tmp_path / "serve.log").read_text()
            try:
                status, page = _get(base + "/")
                break
            except OSError:
                assert time.monotonic() < deadline, "mqlab serve did not answer in 120 s"
                time.sleep(0.2)
        assert status == 200 and "<title>" in page
        assert _get(base + "/static/favicon.svg")[0] == 200  # no separate web server needed
        # The database was made and migrated in the data directory: a room can be created.
        room_id = Browser(base).create_room("rabbitmq-work-queue")
        assert _get(f"{base}/rooms/{room_id}/")[0] == 200
        assert (data / "db.sqlite3").is_file() and (data / "mqlab-secret.key").is_file()
    finally:
        server.terminate()
        server.wait(20)
        log.close()


def test_mqlab_runs_manage_py_commands(tmp_path):
    done = subprocess.run([sys.executable, "-m", "mqlab.cli", "simulate", "--list"],
                          cwd=ROOT, env=_env(XDG_DATA_HOME=str(tmp_path)),
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert "delivery-guarantees" in done.stdout
    assert (tmp_path / "mqlab").is_dir()  # the per-user data directory, made on first use


def test_the_data_directory_is_the_platforms_per_user_one(monkeypatch, tmp_path):
    monkeypatch.setattr(sys, "platform", "linux")
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path))
    assert user_data_dir() == tmp_path / "mqlab"
    monkeypatch.delenv("XDG_DATA_HOME")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert user_data_dir() == tmp_path / "home" / ".local" / "share" / "mqlab"
