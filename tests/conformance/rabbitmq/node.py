"""A private RabbitMQ node for the conformance cases: loopback only, free ports, its own data.

``running_node()`` gives an AMQP URL: ``MQLAB_TEST_RABBITMQ_URL`` when set (``scripts/test.sh``
starts one node for the whole run), else a node started here and stopped at exit. Every
setting lives in a temporary folder, including ``HOME`` (the Erlang cookie) and the env file,
so a system node that Debian's package may have started, or another engineer's node, never
collides with it. Its own ``epmd`` runs in the foreground on a free port, so stopping the node
can stop that exact process too (a daemonised epmd would outlive the run).

``python -m tests.conformance.rabbitmq.node URL_FILE`` starts a node, writes its URL to
``URL_FILE`` and stops it (and its epmd) on SIGTERM/SIGINT: what ``scripts/test.sh`` runs.
"""

from __future__ import annotations

import atexit
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

SERVER = "/usr/lib/rabbitmq/bin/rabbitmq-server"
URL_ENV = "MQLAB_TEST_RABBITMQ_URL"
START_TIMEOUT = 60.0
# The broker must not raise its own memory or disk alarm on a busy shared machine: an alarm
# blocks publishers and every case would hang (RabbitMQ "Memory and Disk Alarms").
CONFIG = """\
loopback_users = none
disk_free_limit.absolute = 1MB
vm_memory_high_watermark.absolute = 4GB
log.console = false
log.file.level = warning
"""


class NodeUnavailable(RuntimeError):
    """No RabbitMQ to compare with: not installed, or it did not start."""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class PrivateNode:
    """One ``rabbitmq-server`` in the foreground plus its own ``epmd``."""

    def __init__(self) -> None:
        self.folder = Path(tempfile.mkdtemp(prefix="mqlab-rabbitmq-"))
        self.port = free_port()
        self.url = f"amqp://guest:guest@127.0.0.1:{self.port}/%2F"
        self.epmd: subprocess.Popen[bytes] | None = None
        self.server: subprocess.Popen[bytes] | None = None

    def environment(self, epmd_port: int) -> dict[str, str]:
        folder = self.folder
        (folder / "rabbitmq.conf").write_text(CONFIG)
        (folder / "enabled_plugins").write_text("[].\n")
        (folder / "rabbitmq-env.conf").write_text("")
        env = {k: v for k, v in os.environ.items() if not k.startswith("RABBITMQ_")}
        env.update({
            "HOME": str(folder),
            "RABBITMQ_NODENAME": f"mqlab{os.getpid()}x{self.port}@localhost",
            "RABBITMQ_NODE_IP_ADDRESS": "127.0.0.1",
            "RABBITMQ_NODE_PORT": str(self.port),
            "RABBITMQ_DIST_PORT": str(free_port()),
            "RABBITMQ_MNESIA_BASE": str(folder / "mnesia"),
            "RABBITMQ_LOG_BASE": str(folder / "log"),
            "RABBITMQ_PID_FILE": str(folder / "rabbitmq.pid"),
            "RABBITMQ_ENABLED_PLUGINS_FILE": str(folder / "enabled_plugins"),
            "RABBITMQ_CONFIG_FILE": str(folder / "rabbitmq.conf"),
            "RABBITMQ_CONF_ENV_FILE": str(folder / "rabbitmq-env.conf"),
            "ERL_EPMD_ADDRESS": "127.0.0.1",
            "ERL_EPMD_PORT": str(epmd_port),
        })
        return env

    def start(self) -> str:
        if not os.access(SERVER, os.X_OK):
            raise NodeUnavailable(f"{SERVER} is missing: apt-get install -y rabbitmq-server "
                                  "(or bash scripts/setup.sh --for-tests)")
        epmd_port = free_port()
        env = self.environment(epmd_port)
        log = open(self.folder / "server.out", "wb")  # noqa: SIM115 - lives as long as the node
        self.epmd = subprocess.Popen(["epmd", "-address", "127.0.0.1", "-port", str(epmd_port)],
                                     env=env, stdout=log, stderr=log)
        self.server = subprocess.Popen([SERVER], env=env, stdout=log, stderr=log,
                                       stdin=subprocess.DEVNULL, start_new_session=True)
        self.wait_ready()
        return self.url

    def wait_ready(self) -> None:
        import pika

        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            if self.server is not None and self.server.poll() is not None:
                break
            try:
                pika.BlockingConnection(pika.URLParameters(self.url)).close()
                return
            except Exception:  # not listening yet
                time.sleep(0.25)
        output = (self.folder / "server.out").read_text(errors="replace")[-2000:]
        self.stop()
        raise NodeUnavailable(f"RabbitMQ did not start within {START_TIMEOUT:.0f} s:\n{output}")

    def stop(self) -> None:
        """Stop the server's whole process group (beam and its helpers), then epmd."""
        for process in (self.server, self.epmd):
            if process is None or process.poll() is not None:
                continue
            if process is self.server:
                os.killpg(process.pid, signal.SIGTERM)
            else:
                process.terminate()
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        shutil.rmtree(self.folder, ignore_errors=True)


_started: PrivateNode | None = None


def running_node() -> str:
    """The URL of a node to compare with, starting one (once per process) if none is given."""
    global _started
    url = os.environ.get(URL_ENV)
    if url:
        _check_reachable(url)
        return url
    if _started is None:
        node = PrivateNode()
        node.start()
        atexit.register(node.stop)
        _started = node
    return _started.url


def _check_reachable(url: str) -> None:
    import pika

    try:
        pika.BlockingConnection(pika.URLParameters(url)).close()
    except Exception as error:
        raise NodeUnavailable(f"{URL_ENV}={url} does not answer: {error!r}") from None


def serve(url_file: str) -> None:
    """Start a node, publish its URL in ``url_file``, stop it on SIGTERM/SIGINT."""
    node = PrivateNode()
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    try:
        url = node.start()
        Path(url_file).write_text(url)
        signal.pause() if hasattr(signal, "pause") else time.sleep(1e9)
    finally:
        node.stop()


if __name__ == "__main__":
    serve(sys.argv[1])
