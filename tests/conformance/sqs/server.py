"""A private moto server on a free loopback port, for the conformance cases' real side.

pytest's session fixture and ``report()`` both use ``moto_server()``; the process is stopped
(by its own pid) when the ``with`` block ends.
"""

from __future__ import annotations

import contextlib
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _command(port: int) -> list[str]:
    # The venv's own moto_server, beside the interpreter running the tests.
    script = Path(sys.executable).with_name("moto_server")
    if not script.exists():
        raise RuntimeError(f"moto_server not found at {script}: pip install 'moto[server]'")
    return [str(script), "-H", "127.0.0.1", "-p", str(port)]


@contextlib.contextmanager
def moto_server(timeout: float = 20.0) -> Iterator[str]:
    """Start moto's server; yield its endpoint URL; stop it afterwards."""
    port = _free_port()
    process = subprocess.Popen(_command(port), stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL)
    endpoint = f"http://127.0.0.1:{port}"
    try:
        _wait_ready(endpoint, process, timeout)
        yield endpoint
    finally:
        process.terminate()
        try:
            process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _wait_ready(endpoint: str, process: subprocess.Popen[bytes], timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"moto_server exited at start with code {process.returncode}")
        try:
            urllib.request.urlopen(f"{endpoint}/moto-api/", timeout=1).close()
            return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"moto_server did not answer at {endpoint} within {timeout:g} s")


def reset(endpoint: str) -> None:
    """Forget every queue, so each case starts on an empty server (moto's reset API)."""
    request = urllib.request.Request(f"{endpoint}/moto-api/reset", method="POST")
    urllib.request.urlopen(request, timeout=5).close()
