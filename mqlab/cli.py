"""The ``mqlab`` command (``pip install .`` / ``pipx install .`` / ``uvx --from . mqlab``).

- ``mqlab serve [--host 127.0.0.1] [--port 8000] [--data-dir DIR]``: the embedded default:
  migrations applied, then daphne serving the app and its static files (one process, SQLite
  and the in-memory channel layer unless ``MQLAB_REDIS_URL`` says otherwise);
- ``mqlab simulate ...``, ``mqlab roomworker``, ``mqlab challenge ...``: the management
  commands of the same names; any other word is a ``manage.py`` command too.

Data (the SQLite file, the generated secret key) goes to ``MQLAB_DATA_DIR`` if set, else the
per-user data directory: ``$XDG_DATA_HOME/mqlab`` (``~/.local/share/mqlab``) on Linux,
``~/Library/Application Support/mqlab`` on macOS, ``%LOCALAPPDATA%\\mqlab`` on Windows.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

#: The app with Django serving the static files (no separate web server needed).
STATIC_APP = "mqlab.management.commands._static_asgi:app"


def user_data_dir() -> Path:
    """Where a user's application data goes, as platformdirs says for each system."""
    home = Path.home()
    if sys.platform == "win32":
        return Path(os.environ.get("LOCALAPPDATA") or home / "AppData" / "Local") / "mqlab"
    if sys.platform == "darwin":
        return home / "Library" / "Application Support" / "mqlab"
    return Path(os.environ.get("XDG_DATA_HOME") or home / ".local" / "share") / "mqlab"


def _environment(data_dir: str | None) -> Path:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "mqlab.settings")
    if data_dir:
        os.environ["MQLAB_DATA_DIR"] = data_dir
    elif not (os.environ.get("MQLAB_DATA_DIR") or os.environ.get("MQLAB_DB")):
        os.environ["MQLAB_DATA_DIR"] = str(user_data_dir())
    folder = Path(os.environ.get("MQLAB_DATA_DIR") or Path(os.environ["MQLAB_DB"]).parent)
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def serve(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(prog="mqlab serve",
                                     description="Start mqlab on http://HOST:PORT/.")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8000)
    parser.add_argument("--data-dir", help="where the database and secret key live "
                                           f"(default: {user_data_dir()})")
    options = parser.parse_args(argv)
    folder = _environment(options.data_dir)
    import django
    from django.core.management import call_command

    django.setup()
    call_command("migrate", interactive=False, verbosity=0)
    print(f"mqlab: data in {folder}; serving http://{options.host}:{options.port}/",
          flush=True)
    from daphne.cli import CommandLineInterface

    CommandLineInterface().run(["-b", options.host, "-p", str(options.port), STATIC_APP])


def main(argv: list[str] | None = None) -> None:
    args = sys.argv[1:] if argv is None else argv
    if not args or args[0] in ("-h", "--help"):
        print(__doc__.strip())
        return
    if args[0] == "serve":
        serve(args[1:])
        return
    _environment(None)
    from django.core.management import execute_from_command_line

    execute_from_command_line(["mqlab", *args])


if __name__ == "__main__":
    main()
