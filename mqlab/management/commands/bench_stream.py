"""Streaming benchmark: N WebSocket clients watching one room that is fed M events per second.

``python manage.py bench_stream --clients 50 --rate 500 --seconds 10``

``--webs 2`` measures a cluster instead (issue 16: a private Redis, two daphne web processes,
one room worker): the same room and the same clients, first all on one web process, then
spread over both, printed side by side with the ratio.

Starts daphne in a subprocess on a free loopback port with a throwaway database, creates a
room from the RabbitMQ playground over HTTP (as a browser does), and, as its controller over
the socket, declares a queue drained by an auto-ack consumer and starts a steady producer
whose rate gives M events/s. N viewers connect; each checks that batches follow each other
without gaps (nothing dropped, no resync needed, nothing left out of the animation) and
measures, for every event, the latency from the moment it happened (its virtual time mapped
to the server's wall clock through the frame's ``sent_at``) to its arrival. This includes the
coalescing delay of up to one frame. Prints delivered events/s and p50/p95 latency per client
and overall. A measurement, not a test: the test suite times nothing.

The WebSocket client is the small one in ``_websocket.py`` (no extra dependency).
"""

from __future__ import annotations

import asyncio
import http.client
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from http.cookies import SimpleCookie
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from mqlab.management.commands._websocket import ConnectionClosed, WebSocket, connect
from mqlab.presets import find
from mqlab.rooms import Room

PRESET = "rabbitmq-playground"
QUEUE = ("declare_queue", {"name": "bench"})
SINK = ("add_consumer", {"name": "sink", "queue": "bench", "ack_mode": "auto", "prefetch": 0})


def setup(backlog: bool) -> list[tuple[str, dict[str, Any]]]:
    """A queue drained by an auto-ack consumer; with ``backlog``, no consumer, so the queue
    grows and every patch carries its first 100 messages (the heaviest frames)."""
    return [QUEUE] if backlog else [QUEUE, SINK]


def events_per_message(backlog: bool) -> float:
    """How many events one message of the benchmark's flow makes, measured offline on the
    same setup (publish, enqueue, confirm, deliver, ack: the engine decides, not us)."""
    room = Room("measure", find(PRESET), seed=0, owner="bench")
    for name, args in setup(backlog):
        room.run_command("bench", name, args)
    room.run_command("bench", "start_producer", {"name": "load", "routing_key": "bench",
                                                 "rate": 100, "limit": 1000})
    before = room.sim.seq
    room.sim.advance(20)
    return (room.sim.seq - before) / 1000


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def percentile(values: list[float], share: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


@dataclass
class Stats:
    """What one client saw."""

    speed: float = 1.0
    seq: int | None = None
    events: int = 0
    gaps: int = 0
    capped: int = 0
    latencies: list[float] = field(default_factory=list)
    measuring: bool = False
    snapshot: asyncio.Future | None = None

    def take(self, frame: dict[str, Any], received: float) -> None:
        if frame["type"] == "snapshot":
            self.seq = frame["seq"]
            if self.snapshot is not None and not self.snapshot.done():
                self.snapshot.set_result(frame)
            return
        if frame["type"] != "events" or self.seq is None:
            return
        if frame["from_seq"] != self.seq + 1:
            self.gaps += 1
        self.seq = frame["seq"]
        if not self.measuring:
            return
        self.events += frame["seq"] - frame["from_seq"] + 1
        self.capped += frame.get("dropped_events", 0)
        for event in frame["events"]:
            happened = frame["sent_at"] - (frame["now"] - event["at"]) / self.speed
            self.latencies.append(received - happened)


class Client:
    """One socket and what it saw; ``request`` sends a frame and waits for its answer."""

    def __init__(self, socket: WebSocket, stats: Stats) -> None:
        self.socket = socket
        self.stats = stats
        self.answers: dict[str, asyncio.Future] = {}
        self.reading = asyncio.get_running_loop().create_task(self._read())

    async def _read(self) -> None:
        try:
            while True:
                payload = await self.socket.recv()
                received = time.time()
                frame = json.loads(payload)
                if frame["type"] in ("result", "error") and frame.get("ref") in self.answers:
                    self.answers.pop(frame["ref"]).set_result(frame)
                else:
                    self.stats.take(frame, received)
        except ConnectionClosed:
            pass

    async def request(self, ref: str, frame: dict[str, Any]) -> dict[str, Any]:
        answer = self.answers[ref] = asyncio.get_running_loop().create_future()
        self.socket.send_text(json.dumps({"v": 1, "ref": ref, **frame}))
        return await asyncio.wait_for(answer, 30)

    async def close(self) -> None:
        await self.socket.close()
        self.reading.cancel()


class Command(BaseCommand):
    help = "Measure the room stream: N WebSocket clients on one room fed M events/s."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--clients", type=int, default=50)
        parser.add_argument("--rate", type=float, default=500.0, help="events per second")
        parser.add_argument("--seconds", type=float, default=10.0)
        parser.add_argument("--per-client", action="store_true",
                            help="print one line per client")
        parser.add_argument("--backlog", action="store_true",
                            help="no consumer: the queue grows, so patches are large")
        parser.add_argument("--redis", default="", metavar="URL",
                            help="broadcast through channels-redis at URL instead of the "
                                 "in-memory layer")
        parser.add_argument("--webs", type=int, default=0, metavar="N",
                            help="a cluster with N web processes and one room worker: the "
                                 "same room with its clients on 1 web process, then on N")

    def handle(self, *args: Any, **options: Any) -> None:
        per_message = events_per_message(options["backlog"])
        if options["webs"]:
            from mqlab.management.commands._bench_spread import spread

            spread(self.stdout.write, options, per_message)
            return
        with tempfile.TemporaryDirectory() as folder:
            env = {**os.environ, "MQLAB_DB": str(Path(folder) / "bench.sqlite3"),
                   "DJANGO_SETTINGS_MODULE": "mqlab.settings",
                   # one daphne process running its rooms, broadcasting through Redis
                   "MQLAB_REDIS_URL": options["redis"], "MQLAB_CLUSTER": "0"}
            base = settings.BASE_DIR
            subprocess.run([sys.executable, "manage.py", "migrate", "--noinput", "-v", "0"],
                           cwd=base, env=env, check=True)
            port = free_port()
            log = open(Path(folder) / "daphne.log", "w")  # noqa: SIM115 (closed below)
            server = subprocess.Popen(
                [sys.executable, "-m", "daphne", "-b", "127.0.0.1", "-p", str(port), "-v", "0",
                 "mqlab.asgi:application"], cwd=base, env=env, stdout=log, stderr=log)
            try:
                _wait_for(port, server)
                cpu_before = _cpu_seconds(server.pid)
                report = asyncio.run(_bench(port, options, per_message))
                cpu = _cpu_seconds(server.pid) - cpu_before
            finally:
                server.terminate()
                server.wait(timeout=10)
                log.close()
        self._print(report, options, per_message, cpu)

    def _print(self, report: dict[str, Any], options: dict[str, Any], per_message: float,
               cpu: float) -> None:
        out = self.stdout.write
        seconds = report["seconds"]
        out(f"bench_stream: {options['clients']} clients, {options['rate']:g} events/s asked "
            f"({report['msg_rate']:g} msg/s x {per_message:g} events/msg), {seconds:.1f} s"
            f"{', backlog (large patches)' if options['backlog'] else ''}"
            f"{', through Redis' if options['redis'] else ''}")
        out(f"server fed {report['fed'] / seconds:.0f} events/s; server CPU "
            f"{cpu / seconds:.0%} of one core")
        everyone: list[float] = []
        for number, stats in enumerate(report["clients"], 1):
            everyone.extend(stats.latencies)
            if options["per_client"]:
                out(f"  client {number:3d}: {stats.events / seconds:7.0f} events/s  "
                    f"p50 {percentile(stats.latencies, .5) * 1000:6.1f} ms  "
                    f"p95 {percentile(stats.latencies, .95) * 1000:6.1f} ms  "
                    f"gaps {stats.gaps}  capped {stats.capped}")
        rates = [stats.events / seconds for stats in report["clients"]]
        p95s = [percentile(stats.latencies, .95) * 1000 for stats in report["clients"]]
        out(f"per client: events/s min {min(rates):.0f} / median {statistics.median(rates):.0f}"
            f" / max {max(rates):.0f}; p95 min {min(p95s):.1f} / median "
            f"{statistics.median(p95s):.1f} / max {max(p95s):.1f} ms")
        out(f"overall: {sum(rates):.0f} events/s delivered; latency p50 "
            f"{percentile(everyone, .5) * 1000:.1f} ms, p95 {percentile(everyone, .95) * 1000:.1f}"
            f" ms, max {max(everyone, default=float('nan')) * 1000:.1f} ms")
        missing = sum(report["fed"] - stats.events for stats in report["clients"])
        gaps = sum(stats.gaps for stats in report["clients"])
        capped = sum(stats.capped for stats in report["clients"])
        out(f"dropped: {missing} events missing, {gaps} sequence gaps, {capped} left out of "
            "the animation")
        if missing or gaps:
            raise CommandError("events were dropped")


def _wait_for(port: int, server: subprocess.Popen) -> None:
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise CommandError("daphne exited while starting")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return
        except OSError:
            time.sleep(0.1)
    raise CommandError("daphne did not start listening within 20 s")


def _cpu_seconds(pid: int) -> float:
    with open(f"/proc/{pid}/stat") as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _create_room(port: int) -> tuple[str, str]:
    """As a browser: get a CSRF cookie from the home page, post the preset, keep the session."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    connection.request("GET", "/")
    response = connection.getresponse()
    response.read()
    cookies = SimpleCookie(response.getheader("Set-Cookie", ""))
    token = cookies["csrftoken"].value
    connection.request("POST", "/rooms/", urlencode({"preset": PRESET}), {
        "Content-Type": "application/x-www-form-urlencoded", "X-CSRFToken": token,
        "Cookie": f"csrftoken={token}"})
    response = connection.getresponse()
    response.read()
    if response.status != 303:
        raise CommandError(f"creating the room answered {response.status}")
    cookies.load(response.getheader("Set-Cookie", ""))
    room_id = response.getheader("Location").strip("/").split("/")[-1]
    session = f"{settings.SESSION_COOKIE_NAME}={cookies[settings.SESSION_COOKIE_NAME].value}"
    return room_id, session


async def _connect(port: int, room_id: str, stats: Stats, cookie: str | None = None) -> Client:
    headers = {"Origin": "http://127.0.0.1"}
    if cookie:
        headers["Cookie"] = cookie
    stats.snapshot = asyncio.get_running_loop().create_future()
    socket = await connect("127.0.0.1", port, f"/ws/rooms/{room_id}/", headers)
    client = Client(socket, stats)
    await asyncio.wait_for(stats.snapshot, 10)
    return client


async def _bench(port: int, options: dict[str, Any], per_message: float) -> dict[str, Any]:
    room_id, boss, boss_stats = await prepare(port, options)
    try:
        return await measure([port], room_id, boss, boss_stats, options, per_message)
    finally:
        await boss.close()


async def prepare(port: int, options: dict[str, Any]) -> tuple[str, Client, Stats]:
    """A room made through ``port`` as a browser makes one, its controller's socket, and
    the queue and consumer of the benchmark's flow."""
    room_id, session = await asyncio.to_thread(_create_room, port)
    boss_stats = Stats()
    boss = await _connect(port, room_id, boss_stats, session)
    for number, (name, args) in enumerate(setup(options["backlog"])):
        answer = await boss.request(f"s{number}", {"type": "command", "command": name,
                                                   "args": args})
        if answer["type"] != "result":
            raise CommandError(f"setting up the room failed: {answer['message']}")
    return room_id, boss, boss_stats


async def measure(ports: list[int], room_id: str, boss: Client, boss_stats: Stats,
                  options: dict[str, Any], per_message: float) -> dict[str, Any]:
    """The clients watch the room, spread evenly over ``ports``, while the producer runs."""
    clients = [Stats() for _ in range(options["clients"])]
    viewers = [await _connect(ports[number % len(ports)], room_id, stats)
               for number, stats in enumerate(clients)]
    await asyncio.sleep(0.5)
    for stats in clients:
        stats.measuring = True
    msg_rate = round(options["rate"] / per_message, 3)
    first = boss_stats.seq
    started = time.monotonic()
    await boss.request("go", {"type": "command", "command": "start_producer", "args": {
        "name": "load", "routing_key": "bench", "rate": msg_rate}})
    await asyncio.sleep(options["seconds"])
    await boss.request("stop", {"type": "command", "command": "stop_producer",
                                "args": {"producer": "load"}})
    seconds = time.monotonic() - started
    await asyncio.sleep(0.3)
    last = boss_stats.seq
    deadline = time.monotonic() + 5
    while any(stats.seq != last for stats in clients) and time.monotonic() < deadline:
        await asyncio.sleep(0.05)
    for client in viewers:
        await client.close()
    return {"clients": clients, "fed": last - first, "seconds": seconds, "msg_rate": msg_rate}
