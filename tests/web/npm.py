"""Node clients from the npm registry for the real-client tests."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

CLIENTS = Path(__file__).with_name("clients")


def npm_client(tmp_path_factory, package: str, script: str) -> Path:
    """A folder with ``package`` installed from npm and the client ``script`` beside it. Skips
    only where node is missing and not under CI: node is on every machine the suite targets,
    so there its absence is a failure, not a skip."""
    if not (shutil.which("node") and shutil.which("npm")):
        if os.environ.get("CI"):
            pytest.fail("node and npm are not installed (CI must run the node clients)")
        pytest.skip("node and npm are not installed")
    folder = tmp_path_factory.mktemp(package.strip("@").replace("/", "-"))
    done = subprocess.run(["npm", "install", "--no-audit", "--no-fund", "--silent", package],
                          cwd=folder, capture_output=True, text=True, timeout=240)
    # The npm registry is one of the registries these machines reach: a failure is a failure.
    assert done.returncode == 0, f"npm could not install {package}: {done.stderr[-300:]}"
    shutil.copy(CLIENTS / script, folder)
    return folder
