"""The secret key of a deployment that did not set ``DJANGO_SECRET_KEY``.

Sessions are signed cookies: whoever knows the key can mint a session carrying any client
id, a room owner's included. So outside DEBUG the key is never a fixed string: it is made at
random on first start and kept in the data directory (mode 0600), so sessions survive a
restart and every installation has its own.

This module is imported by settings: it uses nothing from Django.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import tempfile
from pathlib import Path

FILE_NAME = "mqlab-secret.key"


def persisted_secret_key(data_dir: Path) -> str:
    """The key stored in ``data_dir``, created there first if missing."""
    path = data_dir / FILE_NAME
    if not path.exists():
        _create(path)
    key = path.read_text().strip()
    if len(key) < 50:
        raise RuntimeError(f"{path} holds no usable secret key; delete it to make a new one")
    return key


def _create(path: Path) -> None:
    """Write the key to a private temporary file, then link it into place: the link fails
    if another process got there first, so two servers starting at once share one key and
    nobody ever reads a half-written file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=".secret-")  # mode 0600
    try:
        with os.fdopen(handle, "w") as file:
            file.write(secrets.token_urlsafe(50) + "\n")
        with contextlib.suppress(FileExistsError):  # another process made it first: keep it
            os.link(temporary, path)
    finally:
        os.unlink(temporary)
