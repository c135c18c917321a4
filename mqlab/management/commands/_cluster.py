"""A cluster on one machine, in child processes, for tests and benchmarks: a private Redis
(unless given one), N web processes (daphne, ``_server.ServerProcess``) and M room workers
(``manage.py roomworker``), all on loopback, sharing one SQLite file and secret key."""

from __future__ import annotations

import json
import shutil
import signal
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from mqlab.management.commands._server import ROOT, ServerProcess, free_port


class RedisProcess:
    def __init__(self, data_dir: Path) -> None:
        self.port = free_port()
        self.log = Path(data_dir) / "redis.log"
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self, timeout: float = 10.0) -> RedisProcess:
        server = shutil.which("redis-server")
        if server is None:
            raise RuntimeError("redis-server is not installed (apt-get install redis-server)")
        with open(self.log, "ab") as log:
            self.process = subprocess.Popen(
                [server, "--bind", "127.0.0.1", "--port", str(self.port), "--save", "",
                 "--appendonly", "no"], stdout=log, stderr=log)
        import redis

        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                redis.Redis.from_url(self.url).ping()
                return self
            except redis.ConnectionError:
                time.sleep(0.05)
        raise RuntimeError("redis-server did not answer")

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(10)


class WorkerProcess:
    def __init__(self, data_dir: Path, env: dict[str, str], name: str) -> None:
        self.name = name
        self.env = env
        self.log = Path(data_dir) / f"worker-{name}.log"
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> WorkerProcess:
        with open(self.log, "ab") as log:
            self.process = subprocess.Popen(
                [sys.executable, "manage.py", "roomworker", "--id", self.name], cwd=ROOT,
                env=self.env, stdout=log, stderr=log)
        return self

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 15.0) -> int:
        assert self.process is not None
        self.process.send_signal(sig)
        return self.process.wait(timeout)


class Cluster:
    """``with Cluster(folder, webs=2, workers=2) as cluster:`` ... ``cluster.webs[0].url``."""

    def __init__(self, data_dir: Path, webs: int = 2, workers: int = 2,
                 redis_url: str | None = None, **env: str) -> None:
        self.data_dir = Path(data_dir)
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self.started = False
        self.redis = None if redis_url else RedisProcess(self.data_dir)
        self.redis_url = redis_url or self.redis.url  # type: ignore[union-attr]
        self.webs = [ServerProcess(self.data_dir, MQLAB_REDIS_URL=self.redis_url, **env)
                     for _ in range(webs)]
        self.workers = [WorkerProcess(self.data_dir, self.webs[0].env, f"w{n + 1}")
                        for n in range(workers)] if webs else []

    def start(self, timeout: float = 90.0) -> Cluster:
        if self.redis is not None:
            self.redis.start()
        subprocess.run([sys.executable, "manage.py", "migrate", "--noinput", "-v", "0"],
                       cwd=ROOT, env=self.webs[0].env, check=True)
        for worker in self.workers:
            worker.start()
        with ThreadPoolExecutor(max(1, len(self.webs))) as starting:  # in parallel
            list(starting.map(lambda web: web.start(timeout, migrate=False), self.webs))
        self.wait_for_workers(len(self.workers), timeout)
        self.started = True
        return self

    def live_workers(self) -> dict[str, dict]:
        import redis

        client = redis.Redis.from_url(self.redis_url, decode_responses=True)
        found = {}
        for worker in client.smembers("mqlab:workers"):
            raw = client.get(f"mqlab:worker:{worker}")
            if raw:
                found[worker] = json.loads(raw)
        return found

    def owner(self, room_id: str) -> str | None:
        import redis

        return redis.Redis.from_url(self.redis_url, decode_responses=True).get(
            f"mqlab:room:{room_id}:owner")

    def worker(self, name: str) -> WorkerProcess:
        return next(worker for worker in self.workers if worker.name == name)

    def wait_for_workers(self, count: int, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while len(self.live_workers()) < count:
            for worker in self.workers:
                if worker.process is not None and worker.process.poll() is not None:
                    raise RuntimeError(f"worker {worker.name} exited: {worker.log}")
            if time.monotonic() > deadline:
                raise RuntimeError(f"{count} room worker(s) did not report within {timeout} s")
            time.sleep(0.1)

    def stop(self) -> None:
        for process in [*self.webs, *self.workers]:
            if process.process is not None and process.process.poll() is None:
                process.process.terminate()
        for process in [*self.webs, *self.workers]:
            if process.process is not None:
                try:
                    process.process.wait(15)
                except subprocess.TimeoutExpired:
                    process.process.kill()
                    process.process.wait()
        if self.redis is not None:
            self.redis.stop()

    def __enter__(self) -> Cluster:
        return self if self.started else self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

