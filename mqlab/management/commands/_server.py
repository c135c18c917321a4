"""A real mqlab server in a child process, and a small HTTP client with a session, for
benchmarks and process-level tests (kill -9, SIGTERM): ``daphne`` on a free loopback port,
with its own SQLite file, production settings (DEBUG off) and a fixed secret key."""

from __future__ import annotations

import http.cookiejar
import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def free_ports(count: int) -> int:
    """A free port whose next ``count - 1`` neighbours are free too (the Kafka listener's
    bootstrap port and one port per simulated broker)."""
    while True:
        base = free_port()
        probes: list[socket.socket] = []
        try:
            for offset in range(count):
                probe = socket.socket()
                probes.append(probe)
                probe.bind(("127.0.0.1", base + offset))
            return base
        except OSError:
            continue
        finally:
            for probe in probes:
                probe.close()


class ServerProcess:
    def __init__(self, data_dir: Path, **env: str) -> None:
        self.data_dir = Path(data_dir)
        self.port = free_port()
        self.env = {**os.environ, "DJANGO_DEBUG": "0", "DJANGO_SECRET_KEY": "x" * 50,
                    "MQLAB_DB": str(self.data_dir / "mqlab.sqlite3"),
                    "DJANGO_SETTINGS_MODULE": "mqlab.settings", **env}
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout: float = 30.0, migrate: bool = True) -> ServerProcess:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        if migrate:
            subprocess.run([sys.executable, "manage.py", "migrate", "--noinput", "-v", "0"],
                           cwd=ROOT, env=self.env, check=True)
        log = open(self.data_dir / f"daphne-{self.port}.log", "ab")  # noqa: SIM115
        self.process = subprocess.Popen(
            [sys.executable, "-m", "daphne", "-b", "127.0.0.1", "-p", str(self.port),
             "mqlab.asgi:application"], cwd=ROOT, env=self.env, stdout=log, stderr=log)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"daphne exited with {self.process.returncode}")
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.2):
                    return self
            except OSError:
                time.sleep(0.1)
        raise RuntimeError("daphne did not start listening")

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 15.0) -> int:
        assert self.process is not None
        self.process.send_signal(sig)
        return self.process.wait(timeout)

    def __enter__(self) -> ServerProcess:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait()


class Browser:
    """One visitor: a cookie jar (their session, CSRF token) and timed requests."""

    def __init__(self, base: str) -> None:
        self.base = base
        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar),
                                                  _NoRedirect())

    def request(self, path: str, data: dict[str, str] | None = None,
                timeout: float = 30.0) -> tuple[int, str, dict[str, str], float]:
        body = None
        headers = {"Origin": self.base, "Referer": self.base + "/"}
        if data is not None:
            token = self.cookie("csrftoken") or self._fetch_token()
            body = urllib.parse.urlencode({**data, "csrfmiddlewaretoken": token}).encode()
            headers["X-CSRFToken"] = token
        started = time.perf_counter()
        try:
            with self.opener.open(urllib.request.Request(self.base + path, body, headers),
                                  timeout=timeout) as response:
                text = response.read().decode()
                status, got = response.status, dict(response.headers)
        except urllib.error.HTTPError as error:
            text, status, got = error.read().decode(), error.code, dict(error.headers)
        return status, text, got, time.perf_counter() - started

    def upload(self, path: str, field: str, filename: str,
               content: bytes) -> tuple[int, str, dict[str, str], float]:
        """A multipart form post with one file, as a file input sends it."""
        token = self.cookie("csrftoken") or self._fetch_token()
        boundary = "mqlab-bench-boundary"
        body = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"csrfmiddlewaretoken\""
                f"\r\n\r\n{token}\r\n--{boundary}\r\nContent-Disposition: form-data; "
                f"name=\"{field}\"; filename=\"{filename}\"\r\nContent-Type: "
                f"application/json\r\n\r\n").encode() + content + \
            f"\r\n--{boundary}--\r\n".encode()
        headers = {"Origin": self.base, "Referer": self.base + "/", "X-CSRFToken": token,
                   "Content-Type": f"multipart/form-data; boundary={boundary}"}
        started = time.perf_counter()
        try:
            with self.opener.open(urllib.request.Request(self.base + path, body, headers),
                                  timeout=30) as response:
                text, status = response.read().decode(), response.status
                got = dict(response.headers)
        except urllib.error.HTTPError as error:
            text, status, got = error.read().decode(), error.code, dict(error.headers)
        return status, text, got, time.perf_counter() - started

    def cookie(self, name: str) -> str | None:
        return next((c.value for c in self.jar if c.name == name), None)

    def session_cookie(self) -> str:
        return "; ".join(f"{c.name}={c.value}" for c in self.jar)

    def _fetch_token(self) -> str:
        status, text, _, _ = self.request("/")
        token = self.cookie("csrftoken")
        if token is None:
            found = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', text)
            token = found.group(1) if found else ""
        return token

    def create_room(self, preset: str) -> str:
        status, text, headers, _ = self.request("/rooms/", {"preset": preset})
        if status != 303:
            raise RuntimeError(f"creating a {preset} room answered {status}: {text[:200]}")
        return headers["Location"].rstrip("/").rsplit("/", 1)[-1]

    def command(self, room_id: str, command: str, **args: str) -> tuple[int, str]:
        status, text, _, _ = self.request(f"/rooms/{room_id}/commands/{command}/", args)
        return status, text


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: object, **kwargs: object) -> None:
        return None
