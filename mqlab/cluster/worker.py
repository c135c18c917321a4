"""A room worker: runs the rooms it holds leases for, answers on its own channel.

Requests on ``mqlab-worker.<id>`` (each handled in a task of its own; a room's work goes to
its worker threads through ``offloop``, one job at a time per room, as in one process):

- ``open``: claim and load a room → ``{"owner"}``, ``{"moved": owner}`` or ``{"missing"}``;
- ``room``: one of the consumer's calls (``join``, ``run_command``, ``control``,
  ``walkthrough``, ``walkthrough_frame``, and those answered with a frame for the asking
  socket alone: ``metrics_frame``, ``timeline_frame``, ``peek``); what it changed is
  announced to the room's group here, where the room is;
- ``http``: a forwarded HTTP request, run through the Django application;
- ``viewers``: a web process's count of sockets on a room (no reply).

Every ``RENEW_SECONDS`` the worker renews its leases (a room whose lease it lost is dropped
unsaved: its new owner rebuilt it), reports its load and forgets viewer counts that were not
renewed. On SIGTERM or SIGINT it saves every room, lets its leases go and withdraws, so
its rooms move at once rather than after the lease expiry.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import re
import signal
import socket
import time
import uuid
from dataclasses import asdict
from typing import Any

from channels.layers import get_channel_layer

from mqlab.cluster import forward, rpc, store
from mqlab.rooms import Room, RoomNotFound, announce, offloop, registry
from mqlab.rooms.pacing import FRAME_SECONDS
from mqlab.rooms.registry import RoomElsewhere

logger = logging.getLogger("mqlab.cluster")

#: A web process's viewer count lapses when not renewed for this long (it died).
VIEWERS_TTL_SECONDS = 4 * store.RENEW_SECONDS
#: Calls answered with one frame for the asking socket (``{"frame"}``); they change nothing.
_FRAMES = ("walkthrough_frame", "metrics_frame", "timeline_frame", "peek")
_OPS = ("join", "run_command", "control", "walkthrough", *_FRAMES)
#: Calls that change a room: run only while this worker still holds its lease.
_CHANGES = ("run_command", "control", "walkthrough")


def new_id() -> str:
    host = re.sub(r"[^A-Za-z0-9-]", "-", socket.gethostname())[:40]
    return f"{host}-{os.getpid()}-{uuid.uuid4().hex[:6]}"


class Leases:
    """``Registry.claims`` for this worker: a room is loaded only once its lease is ours."""

    def __init__(self, worker: str) -> None:
        self.worker = worker

    def claim(self, room_id: str) -> None:
        owner = store.claim(room_id, self.worker)
        if owner != self.worker:
            raise RoomElsewhere(room_id, owner)

    def release(self, room_id: str) -> None:
        store.release(room_id, self.worker)


class Worker:
    def __init__(self, worker_id: str | None = None) -> None:
        self.id = worker_id or new_id()
        self.channel = rpc.channel_of(self.id)
        #: room id -> web process id -> (sockets, when the count lapses)
        self.viewers: dict[str, dict[str, tuple[int, float]]] = {}
        self._cpu = (time.monotonic(), time.process_time())
        self._app: Any = None

    async def run(self, stop: asyncio.Event) -> None:
        from django.core.asgi import get_asgi_application

        self._app = get_asgi_application()
        registry.claims = Leases(self.id)
        await asyncio.to_thread(self._report)
        loops = [asyncio.create_task(self._receive()), asyncio.create_task(self._upkeep())]
        logger.info("room worker %s: listening on %s", self.id, self.channel)
        try:
            await stop.wait()
        finally:
            for task in loops:
                task.cancel()
            await asyncio.gather(*loops, return_exceptions=True)
            await self._shutdown()

    async def _shutdown(self) -> None:
        held = [room.id for room in registry]
        await asyncio.to_thread(registry.save_all)
        for room_id in held:
            with contextlib.suppress(Exception):
                await asyncio.to_thread(store.release, room_id, self.id)
        await registry.stop_all()
        await asyncio.to_thread(store.withdraw, self.id)
        logger.info("room worker %s: stopped; %d room(s) saved and released", self.id,
                    len(held))

    # -- requests -----------------------------------------------------------------------------
    async def _receive(self) -> None:
        layer: Any = get_channel_layer()
        tasks: set[asyncio.Task[None]] = set()
        while True:
            message = await layer.receive(self.channel)
            task = asyncio.create_task(self._handle(message))
            tasks.add(task)
            task.add_done_callback(tasks.discard)

    async def _handle(self, message: dict[str, Any]) -> None:
        try:
            if message.get("type") == "viewers":
                await self._viewers(message)
                return
            handler = {"open": self._open, "room": self._room, "http": self._http}.get(
                message.get("type", ""))
            answer = await handler(message) if handler else {"error": "unknown request"}
        except Exception as error:  # our bug: the caller hears of it rather than waiting
            logger.exception("room worker %s: request %s failed", self.id, message.get("type"))
            answer = {"error": repr(error)}
        if "reply" in message:
            await rpc.reply(message, answer)

    async def _own(self, room_id: str) -> Room | dict[str, Any]:
        """The room, loaded here if its lease was free; else what to answer."""
        try:
            return await registry.aget(room_id)
        except RoomElsewhere as elsewhere:
            return {"moved": elsewhere.owner}
        except RoomNotFound as error:
            return {"missing": str(error)}

    async def _open(self, message: dict[str, Any]) -> dict[str, Any]:
        room = await self._own(message["room"])
        return room if isinstance(room, dict) else {"owner": self.id}

    async def _room(self, message: dict[str, Any]) -> dict[str, Any]:
        op, args = message["op"], message.get("args", [])
        if op not in _OPS:
            return {"error": f"unknown call {op!r}"}
        room = await self._own(message["room"])
        if isinstance(room, dict):
            return room
        if op in _CHANGES and not await asyncio.to_thread(store.holds, room.id, self.id):
            registry.drop(room.id)
            return {"moved": await store.owner(room.id) or ""}
        if op == "join":
            batch, snapshot = await offloop.call(room, room.join, *args)
            if batch is not None:
                await get_channel_layer().group_send(room.group, batch)
            return {"snapshot": snapshot}
        result = await offloop.call(room, getattr(room, op), *args)
        if op in _FRAMES:
            return {"frame": result}
        if result.announce:
            await announce(room, result.announce)
        return {"outcome": {**asdict(result), "announce": None}}

    async def _http(self, message: dict[str, Any]) -> dict[str, Any]:
        room_id = message.get("room")
        if room_id:
            room = await self._own(room_id)
            if isinstance(room, dict) and "moved" in room:
                return room
        return await forward.run_here(self._app, message)

    # -- viewers -------------------------------------------------------------------------------
    async def _viewers(self, message: dict[str, Any]) -> None:
        room_id = message["room"]
        counts = self.viewers.setdefault(room_id, {})
        count = max(0, int(message.get("count", 0)))
        if count:
            counts[message["web"]] = (count, time.monotonic() + VIEWERS_TTL_SECONDS)
        else:
            counts.pop(message["web"], None)
        await self._apply(room_id)

    async def _apply(self, room_id: str) -> None:
        """Make the room's viewer count the sum of the web processes' counts (attaching
        starts its runner, as a socket does in one process)."""
        counts = self.viewers.get(room_id, {})
        total = sum(count for count, _ in counts.values())
        if not counts:
            self.viewers.pop(room_id, None)
        room = registry.running(room_id)
        if room is None or room.viewers == total:
            return
        while room.viewers < total:
            registry.watch(room)
        while room.viewers > total:
            room.detach()
        if room.guide is not None:  # the presenter sees how many are watching
            await announce(room, "walkthrough")

    # -- upkeep --------------------------------------------------------------------------------
    async def _upkeep(self) -> None:
        while True:
            await asyncio.sleep(store.RENEW_SECONDS)
            try:
                await self._renew()
                await asyncio.to_thread(self._report)
                await self._lapse_viewers()
            except Exception:  # Redis away for a moment: the next round tries again
                logger.exception("room worker %s: upkeep failed", self.id)

    async def _renew(self) -> None:
        held = [room.id for room in registry]
        for room_id in await asyncio.to_thread(store.renew, held, self.id):
            logger.warning("room %s: its lease went to another worker; dropped here", room_id)
            registry.drop(room_id)

    async def _lapse_viewers(self) -> None:
        now = time.monotonic()
        for room_id, counts in list(self.viewers.items()):
            for web_id, (_, until) in list(counts.items()):
                if until < now:
                    del counts[web_id]
            await self._apply(room_id)

    def _report(self) -> None:
        rooms = list(registry)
        watched = sum(1 for room in rooms if room.viewers)
        now, cpu = time.monotonic(), time.process_time()
        wall, spent = max(now - self._cpu[0], 1e-3), cpu - self._cpu[1]
        self._cpu = (now, cpu)
        frames = watched * wall / FRAME_SECONDS
        store.report(self.id, {
            "rooms": len(rooms), "watched": watched, "cpu": round(spent / wall, 3),
            "cpu_per_frame_ms": round(spent / frames * 1000, 3) if frames else 0.0,
            "at": time.time()})


def serve(worker_id: str | None = None) -> None:
    """Run a worker until SIGTERM or SIGINT."""

    async def main() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, stop.set)
        await Worker(worker_id).run(stop)

    asyncio.run(main())
