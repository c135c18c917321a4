"""The web process of a cluster: where a room is, placing new rooms, calling a room's
worker, forwarding HTTP requests about rooms, and the viewer table.

The viewer table counts this process's sockets per room and tells each room's owner every
``RENEW_SECONDS`` (the owner forgets counts not renewed within ``VIEWERS_TTL_SECONDS``, so
the viewers of a web process that died stop counting). The same heartbeat is how a room
moves when its worker dies: once the lease has expired, the room is placed on the
least-loaded worker (which rebuilds it from its journal) and each of its sockets here is
told to resync (a ``room.snapshot`` on its channel: a fresh snapshot, no reload).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from typing import Any

from channels.layers import get_channel_layer

from mqlab.cluster import forward, rpc, store
from mqlab.rooms import Outcome, RoomNotFound

logger = logging.getLogger("mqlab.cluster")

#: A room's call from a socket (a command, a snapshot) waits this long for its worker.
CALL_TIMEOUT_SECONDS = 15.0
#: Placing a room replays its log on the worker: a long log takes a while.
OPEN_TIMEOUT_SECONDS = 30.0
#: A wrong owner ("moved") is followed this many times.
HOPS = 3

WEB_ID = uuid.uuid4().hex[:12]
#: Rooms placed on each worker since its last load report: (report time, count).
_placed: dict[str, tuple[float, int]] = {}


async def least_loaded() -> str:
    """The worker with the least CPU in use (in steps of 5% of a core), then fewest rooms,
    counting the rooms placed there since its last report."""
    loads = await store.loads()
    if not loads:
        raise rpc.WorkerUnavailable("no room worker is running (start one: manage.py "
                                    "roomworker)")

    def key(worker: str) -> tuple[int, int, str]:
        load = loads[worker]
        at, placed = _placed.get(worker, (0.0, 0))
        extra = placed if at == load.get("at") else 0
        return round(load.get("cpu", 0.0) * 20), load.get("rooms", 0) + extra, worker

    chosen = min(loads, key=key)
    at, placed = _placed.get(chosen, (0.0, 0))
    report = loads[chosen].get("at", 0.0)
    _placed[chosen] = (report, placed + 1 if at == report else 1)
    return chosen


async def locate(room_id: str) -> str:
    """The room's worker, placing the room on the least-loaded one if nobody holds it
    (RoomNotFound if it does not exist)."""
    owner = await store.owner(room_id)
    if owner:
        return owner
    worker = await least_loaded()
    answer = await rpc.request(worker, {"type": "open", "room": room_id}, OPEN_TIMEOUT_SECONDS)
    if "missing" in answer:
        raise RoomNotFound(answer["missing"])
    return answer.get("moved") or answer["owner"]


async def call(room_id: str, op: str, args: tuple[Any, ...]) -> Any:
    """``Room.<op>(*args)`` on the room's worker, decoded as the consumer expects it."""
    for _ in range(HOPS):
        owner = await locate(room_id)
        answer = await rpc.request(owner, {"type": "room", "op": op, "room": room_id,
                                           "args": list(args)}, CALL_TIMEOUT_SECONDS)
        if "moved" in answer:
            continue
        if "missing" in answer:
            raise RoomNotFound(answer["missing"])
        if "error" in answer:  # a bug on the worker (logged there), not the user's input
            raise RuntimeError(f"room {room_id}: {op} failed on its worker: {answer['error']}")
        if "outcome" in answer:
            return Outcome(**answer["outcome"])
        if op == "join":
            return None, answer["snapshot"]  # the worker sent the batch to the group
        return answer.get("frame")
    raise rpc.WorkerUnavailable("the room is moving between workers; try again in a moment")


# -- HTTP -------------------------------------------------------------------------------------

class ForwardRoomRequests:
    """ASGI middleware: requests about a room go to its worker; the rest is served here."""

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        forwarded, room_id = forward.target(scope) if scope["type"] == "http" \
            else (False, None)
        if not forwarded:
            await self.app(scope, receive, send)
            return
        body = await forward.read_body(receive)
        if body is None:
            await forward.plain_response(send, 413, f"The request body is larger than "
                                         f"{forward.MAX_BODY} bytes")
            return
        try:
            answer = await self._forward(room_id, forward.request_message(scope, body))
        except rpc.WorkerUnavailable as error:
            await forward.plain_response(send, 503, error.message)
            return
        await forward.send_response(send, answer["status"], answer["headers"], answer["body"])

    async def _forward(self, room_id: str | None, message: dict[str, Any]) -> dict[str, Any]:
        for _ in range(HOPS):
            try:
                worker = await locate(room_id) if room_id else await least_loaded()
            except RoomNotFound:
                worker = await least_loaded()  # it answers the 404 page as one process does
            answer = await rpc.request(worker, {"type": "http", "room": room_id, **message},
                                       forward.TIMEOUT_SECONDS)
            if "moved" not in answer:
                return answer
        raise rpc.WorkerUnavailable("the room is moving between workers; try again")


# -- the viewer table ---------------------------------------------------------------------------

def deliver(channel: str, message: dict[str, Any]) -> None:
    """Hand ``message`` to a socket of this process as if it came on its channel: into
    channels-redis's receive buffer, which its consumer reads in order with its frames
    (no round trip through Redis); through Redis for a layer without one."""
    layer: Any = get_channel_layer()
    buffers = getattr(layer, "receive_buffer", None)
    if buffers is None:
        asyncio.get_running_loop().create_task(layer.send(channel, message))
    else:
        buffers[channel].put_nowait(message)


class Viewers:
    """This process's sockets per room. The process, not each socket, is in the room's
    group (one channel per room: its relay), so a batch crosses Redis once per web process
    rather than once per viewer; the relay hands it to each socket here."""

    def __init__(self) -> None:
        self.sockets: dict[str, set[Any]] = {}
        self.owners: dict[str, str] = {}
        self._relays: dict[str, tuple[str, asyncio.Task[None]]] = {}
        self._beat: asyncio.Task[None] | None = None

    async def join(self, room_id: str, consumer: Any) -> None:
        self.sockets.setdefault(room_id, set()).add(consumer)
        if room_id not in self._relays:
            await self._relay(room_id)
        self.owners[room_id] = await locate(room_id)
        await self._report(room_id)
        if self._beat is None or self._beat.done():
            self._beat = asyncio.get_running_loop().create_task(self._heartbeat())

    async def leave(self, room_id: str, consumer: Any) -> None:
        sockets = self.sockets.get(room_id, set())
        sockets.discard(consumer)
        with contextlib.suppress(Exception):  # the heartbeat's expiry covers a failure
            await self._report(room_id)
        if not sockets:
            self.sockets.pop(room_id, None)
            self.owners.pop(room_id, None)
            channel, relay = self._relays.pop(room_id, ("", None))
            if relay is not None:
                relay.cancel()
                layer: Any = get_channel_layer()
                await layer.group_discard(f"room.{room_id}", channel)

    async def _relay(self, room_id: str) -> None:
        """Join the room's group (before the socket's snapshot, so no batch after it is
        missed) and pass what comes to this process's sockets on the room."""
        layer: Any = get_channel_layer()
        channel = await layer.new_channel()
        await layer.group_add(f"room.{room_id}", channel)

        async def relay() -> None:
            while True:
                message = await layer.receive(channel)
                for consumer in list(self.sockets.get(room_id, ())):
                    deliver(consumer.channel_name, message)

        self._relays[room_id] = (channel, asyncio.get_running_loop().create_task(relay()))

    async def _report(self, room_id: str) -> None:
        owner = self.owners.get(room_id)
        if owner is not None:
            layer: Any = get_channel_layer()
            await layer.send(rpc.channel_of(owner), {
                "type": "viewers", "room": room_id, "web": WEB_ID,
                "count": len(self.sockets.get(room_id, ()))})

    async def _heartbeat(self) -> None:
        while self.sockets:
            await asyncio.sleep(store.RENEW_SECONDS)
            for room_id in list(self.sockets):
                try:
                    await self._check(room_id)
                except Exception:  # a worker that is gone or slow: next beat tries again
                    logger.warning("room %s: viewer heartbeat failed", room_id, exc_info=True)

    async def _check(self, room_id: str) -> None:
        """Renew the room's viewer count; if its worker is gone, place it again and have
        its sockets here resync."""
        before = self.owners.get(room_id)
        owner = await locate(room_id)
        if room_id not in self.sockets:
            return
        self.owners[room_id] = owner
        await self._report(room_id)
        if owner != before:
            for consumer in list(self.sockets.get(room_id, ())):
                deliver(consumer.channel_name, {"type": "room.snapshot"})
            logger.info("room %s: moved from worker %s to %s; %d socket(s) resync",
                        room_id, before, owner, len(self.sockets.get(room_id, ())))


viewers = Viewers()
