"""Abuse benchmark: does one hostile or careless user slow everyone else down?

``python manage.py bench_abuse [--seconds 4] [--probe NAME ...]``

Starts a real server (daphne, DEBUG off, a throwaway database). An innocent room runs a
steady producer and is watched over its WebSocket; an innocent visitor loads a page again and
again. First with no attack (the baseline), then during each probe, run by an attacker in
rooms of their own, it prints the innocent visitor's page-load p50 / p95 / max and the watched
room's worst gap between two frames. The probes are the ones issue 9 measured: topic keys full
of ``#``, fifty 1,000-message publishes with 10 KB bodies, a hundred producers at full rate at
8x, a slow stream of form posts, a fanout to as many queues as a room allows watched by
twenty viewers who all refetch the forms, and a pathological scenario import. The target is
p95 page load and worst frame gap under 250 ms. A measurement, not a test.
"""

from __future__ import annotations

import asyncio
import json
import statistics
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand

from mqlab.management.commands._server import Browser, ServerProcess
from mqlab.management.commands._websocket import WebSocket, connect

Probe = Callable[["Bench", float], Awaitable[None]]
PROBES: dict[str, Probe] = {}


def probe(name: str) -> Callable[[Probe], Probe]:
    def register(function: Probe) -> Probe:
        PROBES[name] = function
        return function
    return register


class Bench:
    def __init__(self, server: ServerProcess) -> None:
        self.server = server

    async def socket(self, browser: Browser, room_id: str) -> WebSocket:
        return await connect("127.0.0.1", self.server.port, f"/ws/rooms/{room_id}/",
                             {"Origin": self.server.url, "Cookie": browser.session_cookie()})

    async def room(self, preset: str) -> tuple[Browser, str, WebSocket]:
        """A fresh attacker (their own browser, so per-browser quotas are theirs) and room."""
        browser = Browser(self.server.url)
        room_id = await asyncio.to_thread(browser.create_room, preset)
        return browser, room_id, await self.socket(browser, room_id)


async def send(socket: WebSocket, frame_type: str, **fields: Any) -> None:
    socket.send_text(json.dumps({"v": 1, "type": frame_type, **fields}))
    await socket.writer.drain()


async def drain(socket: WebSocket, seconds: float) -> None:
    """Read (and drop) whatever a socket gets for ``seconds``, as a browser tab would."""
    end = time.monotonic() + seconds
    while (left := end - time.monotonic()) > 0:
        try:
            await asyncio.wait_for(socket.recv(), left)
        except (TimeoutError, Exception):
            return


async def commands(socket: WebSocket, batch: list[tuple[str, dict[str, Any]]]) -> None:
    for n, (name, args) in enumerate(batch):
        await send(socket, "command", ref=f"a{n}", command=name, args=args)


@probe("topic-hashes")
async def topic_hashes(bench: Bench, seconds: float) -> None:
    _, _, socket = await bench.room("rabbitmq-playground")
    key = ".".join(["#"] * 8)
    words = ".".join(f"w{n}" for n in range(28))
    await commands(socket, [
        ("declare_exchange", {"name": "t", "exchange_type": "topic"}),
        ("declare_queue", {"name": "q"}),
        ("bind", {"queue": "q", "exchange": "t", "routing_key": key}),
        *[("publish", {"exchange": "t", "routing_key": words}) for _ in range(30)]])
    await drain(socket, seconds)


@probe("big-publishes")
async def big_publishes(bench: Bench, seconds: float) -> None:
    _, _, socket = await bench.room("rabbitmq-playground")
    body = "x" * 10_000
    await commands(socket, [("declare_queue", {"name": "q"}), *[
        ("publish", {"routing_key": "q", "count": 1000, "body": body}) for _ in range(50)]])
    await drain(socket, seconds)


@probe("producer-flood")
async def producer_flood(bench: Bench, seconds: float) -> None:
    _, _, socket = await bench.room("rabbitmq-playground")
    await commands(socket, [("declare_queue", {"name": "q"}), *[
        ("start_producer", {"name": f"p{n}", "routing_key": "q", "rate": 1000})
        for n in range(100)]])
    await send(socket, "control", action="speed", value=8)
    await drain(socket, seconds)


@probe("form-posts")
async def form_posts(bench: Bench, seconds: float) -> None:
    browser, room_id, socket = await bench.room("rabbitmq-work-queue")
    end = time.monotonic() + seconds

    def post_until_end() -> None:
        while time.monotonic() < end:
            browser.command(room_id, "publish", routing_key="tasks", count="1000")

    await asyncio.gather(asyncio.to_thread(post_until_end), drain(socket, seconds))


@probe("fanout-viewers")
async def fanout_viewers(bench: Bench, seconds: float) -> None:
    browser, room_id, socket = await bench.room("rabbitmq-playground")
    batch: list[tuple[str, dict[str, Any]]] = [
        ("declare_exchange", {"name": "f", "exchange_type": "fanout"})]
    for n in range(2000):  # as many as the room's budget lets through
        batch += [("declare_queue", {"name": f"q{n}"}),
                  ("bind", {"queue": f"q{n}", "exchange": "f", "routing_key": ""})]
    await commands(socket, batch)
    viewers = [await bench.socket(Browser(bench.server.url), room_id) for _ in range(20)]
    end = time.monotonic() + seconds

    def refetch_forms(offset: float) -> None:
        # What each viewer's page does while the topology keeps changing: one refetch of
        # the forms per change, at most once a second or two (static/js/room.js).
        time.sleep(offset)
        while time.monotonic() < end:
            browser.request(f"/rooms/{room_id}/controls/")
            time.sleep(1.0)

    await asyncio.gather(*(drain(v, seconds) for v in viewers), drain(socket, seconds),
                         *(asyncio.to_thread(refetch_forms, n / 20) for n in range(20)),
                         commands(socket, [("publish", {"exchange": "f", "count": 100})]))


@probe("import-file")
async def import_file(bench: Bench, seconds: float) -> None:
    browser = Browser(bench.server.url)
    spec = {"title": "pathological", "brokers": {"rabbitmq": {"bindings": [
        {"exchange": f"missing-{n}", "queue": f"nowhere-{n}", "routing_key": "k"}
        for n in range(8000)]}}}
    content = json.dumps(spec).encode()
    end = time.monotonic() + seconds

    def upload_until_end() -> None:
        while time.monotonic() < end:
            browser.upload("/scenarios/import/", "file", "pathological.json", content)

    await asyncio.to_thread(upload_until_end)


class Innocent:
    """The innocent room's viewer and visitor: worst frame gap and page-load times."""

    def __init__(self, bench: Bench, browser: Browser, room_id: str) -> None:
        self.bench, self.browser, self.room_id = bench, browser, room_id

    async def measure(self, seconds: float) -> dict[str, float]:
        socket = await self.bench.socket(self.browser, self.room_id)
        await asyncio.wait_for(socket.recv(), 10)  # the snapshot
        gaps, loads = await asyncio.gather(self._gaps(socket, seconds),
                                           asyncio.to_thread(self._loads, seconds))
        await socket.close()
        return {"p50": _ms(statistics.median(loads)), "p95": _ms(_p95(loads)),
                "max": _ms(max(loads)), "gap": _ms(max(gaps) if gaps else seconds),
                "loads": len(loads)}

    async def _gaps(self, socket: WebSocket, seconds: float) -> list[float]:
        gaps: list[float] = []
        last = time.monotonic()
        end = last + seconds
        while (left := end - time.monotonic()) > 0:
            try:
                await asyncio.wait_for(socket.recv(), left)
            except TimeoutError:
                break
            now = time.monotonic()
            gaps.append(now - last)
            last = now
        gaps.append(time.monotonic() - last)
        return gaps

    def _loads(self, seconds: float) -> list[float]:
        loads: list[float] = []
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            status, _, _, took = self.browser.request(f"/rooms/{self.room_id}/")
            loads.append(took if status == 200 else float("inf"))
            time.sleep(0.05)
        return loads


def _p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(0.95 * len(ordered)))]


def _ms(seconds: float) -> float:
    return round(seconds * 1000, 1)


class Command(BaseCommand):
    help = "Measure how much one abusive user slows an innocent room and page loads."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--seconds", type=float, default=4.0)
        parser.add_argument("--probe", action="append", choices=sorted(PROBES),
                            help="run only these probes (default: all)")

    def handle(self, *args: Any, **options: Any) -> None:
        asyncio.run(self._run(options["seconds"], options["probe"] or list(PROBES)))

    async def _run(self, seconds: float, names: list[str]) -> None:
        with tempfile.TemporaryDirectory() as folder, \
                ServerProcess(Path(folder), MQLAB_ROOMS_PER_CLIENT_HOUR="1000",
                              MQLAB_ROOMS_PER_ADDRESS_HOUR="1000") as server:
            bench = Bench(server)
            visitor = Browser(server.url)
            room_id = await asyncio.to_thread(visitor.create_room, "rabbitmq-work-queue")
            controller = await bench.socket(visitor, room_id)
            await commands(controller, [("start_producer", {
                "name": "steady", "routing_key": "tasks", "rate": 20})])
            innocent = Innocent(bench, visitor, room_id)
            self._line("probe", "page p50", "p95", "max", "worst frame gap", "loads")
            self._row("(no attack: baseline)", await innocent.measure(seconds))
            for name in names:
                attack = asyncio.ensure_future(PROBES[name](bench, seconds + 1))
                await asyncio.sleep(0.5)  # the attack is under way before measuring
                figures = await innocent.measure(seconds)
                await attack
                self._row(name, figures)
            await controller.close()

    def _row(self, name: str, figures: dict[str, float]) -> None:
        self._line(name, f"{figures['p50']:.0f} ms", f"{figures['p95']:.0f} ms",
                   f"{figures['max']:.0f} ms", f"{figures['gap']:.0f} ms",
                   f"{figures['loads']:.0f}")

    def _line(self, *cells: str) -> None:
        widths = (24, 10, 10, 10, 16, 6)
        self.stdout.write("  ".join(c.ljust(w) for c, w in zip(cells, widths, strict=True)))
