"""The room socket: a thin Channels consumer between a browser and a running room.

On connect it joins the room's group and sends a snapshot; then the room's runner broadcasts
one ``room.events`` message per frame, already serialised, which each consumer forwards
unless its snapshot already covers it. Client frames are checked by ``mqlab.wire`` and run
through the room (``Room.run_command`` / ``Room.control``), the same path as htmx forms, on a
room worker thread (``mqlab.rooms.offloop``): the event loop never waits on a room. Any bad
frame gets an error frame and the connection stays open; a socket that sends faster than its
token bucket allows is refused frame by frame (``rate-limited``); nothing a user sends
produces a traceback. A frame too long for one socket message goes out in ``part`` frames.
"""

from __future__ import annotations

import itertools
import logging
from typing import Any

from channels.generic.websocket import AsyncWebsocketConsumer
from django.conf import settings

from mqlab import wire
from mqlab.rooms import CLIENT_KEY, Room, RoomNotFound, announce, offloop, registry
from mqlab.throttle import TokenBucket

logger = logging.getLogger(__name__)

#: Close code for a room that does not exist (4000-4999 are the application's own).
CLOSE_NOT_FOUND = 4404
#: A resync costs a whole snapshot: it spends this many tokens of the socket's bucket.
RESYNC_COST = 5

_part_ids = itertools.count(1)


def _bucket() -> TokenBucket:
    rate = getattr(settings, "MQLAB_SOCKET_FRAMES_PER_SECOND", 20.0)
    return TokenBucket(rate, burst=getattr(settings, "MQLAB_SOCKET_FRAMES_BURST", 40.0))


class RoomConsumer(AsyncWebsocketConsumer):
    room: Room | None = None

    async def connect(self) -> None:
        await self.accept()
        room_id = self.scope["url_route"]["kwargs"]["room_id"]
        session = self.scope.get("session")
        self.client: str | None = session.get(CLIENT_KEY) if session is not None else None
        self.seq = 0
        self.bucket = _bucket()
        #: Looking back on its own (a ``peek``): the live stream holds until it returns.
        self.peeking = False
        try:
            self.room = await self.open_room(room_id)
        except RoomNotFound as error:
            await self.send_frame(wire.error("not-found", str(error)))
            await self.close(code=CLOSE_NOT_FOUND)
            return
        await self.watch()
        await self.send_snapshot()
        if self.room.guide is not None:  # the presenter sees how many are watching
            await announce(self.room, "walkthrough")

    async def disconnect(self, code: int) -> None:
        if self.room is not None:
            await self.leave()
            if self.room.guide is not None:
                await announce(self.room, "walkthrough")

    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None) -> None:
        if self.room is None:
            return
        try:
            if text_data is None:
                raise wire.WireError("bad-frame", "send JSON text frames, not binary ones")
            frame = wire.parse_client_frame(text_data)
            self._spend(frame)
        except wire.WireError as error:
            logger.info("room %s: refused a frame: %s", self.room.id, error.message)
            await self.send_frame(wire.error(error.code, error.message, ref=error.ref,
                                             field=error.field))
            return
        await self.handle(frame)

    def _spend(self, frame: wire.ClientFrame) -> None:
        costly = isinstance(frame, wire.ResyncFrame | wire.MetricsFrame) or (
            isinstance(frame, wire.ControlFrame) and frame.action in ("seek", "peek", "branch"))
        cost = RESYNC_COST if costly else 1
        if not self.bucket.take(cost):
            raise wire.WireError(
                "rate-limited", f"too many frames: at most {self.bucket.rate:g} a second "
                f"(bursts of {self.bucket.burst:g}); wait a moment and send it again",
                ref=getattr(frame, "ref", None))

    async def handle(self, frame: wire.ClientFrame) -> None:
        room = self.room
        assert room is not None
        if isinstance(frame, wire.ResyncFrame):
            self.peeking = False
            await self.send_snapshot()
            return
        if isinstance(frame, wire.MetricsFrame):
            await self.send_frame(await self.ask("metrics_frame", frame.nodes, frame.points))
            return
        if isinstance(frame, wire.ControlFrame) and frame.action == "peek":
            await self.peek(frame.value)
            return
        ref = None
        if isinstance(frame, wire.CommandFrame):
            outcome = await self.ask("run_command", self.client, frame.command, frame.args)
            ref = frame.ref
        elif isinstance(frame, wire.WalkthroughFrame):
            outcome = await self.ask("walkthrough", self.client, frame.action, frame.value)
        else:
            outcome = await self.ask("control", self.client, frame.action, frame.value)
        if not outcome.ok:
            await self.send_frame(wire.error(outcome.code or "engine-error", outcome.message,
                                             ref=ref, field=outcome.field))
            return
        if ref is not None:
            await self.send_frame(wire.result(ref, outcome.message))
        if outcome.announce:
            await announce(room, outcome.announce)

    async def send_snapshot(self) -> None:
        room = self.room
        assert room is not None
        batch, snapshot = await self.ask("join", self.client)
        if batch is not None:  # for the others; this consumer's snapshot already covers it
            await self.channel_layer.group_send(room.group, batch)
        self.seq = snapshot["seq"]
        await self.send_frame(snapshot)
        walkthrough = await self.ask("walkthrough_frame", self.client)
        if walkthrough is not None:
            await self.send_frame(walkthrough)
        await self.send_frame(await self.ask("timeline_frame"))

    async def peek(self, value: Any) -> None:
        """A private look at virtual time ``value`` (null: back to live), for this socket
        only; the room does not move."""
        if value is None:
            self.peeking = False
            await self.send_snapshot()
            return
        frame = await self.ask("peek", value)
        self.peeking = frame["type"] == "snapshot"
        await self.send_frame(frame)

    # -- where the room is: here (a cluster's web process overrides these: mqlab.cluster) ----
    async def open_room(self, room_id: str) -> Room:
        return await registry.aget(room_id)

    async def watch(self) -> None:
        """Join the room's group and count as its viewer (its runner runs)."""
        assert self.room is not None
        await self.channel_layer.group_add(self.room.group, self.channel_name)
        registry.watch(self.room)

    async def leave(self) -> None:
        assert self.room is not None
        self.room.detach()
        await self.channel_layer.group_discard(self.room.group, self.channel_name)

    async def ask(self, method: str, *args: Any) -> Any:
        """``room.<method>(*args)`` on a room worker thread, after the room's earlier jobs."""
        room = self.room
        assert room is not None
        return await offloop.call(room, getattr(room, method), *args)

    async def send_frame(self, frame: dict[str, Any]) -> None:
        await self.send_text(wire.dumps(frame))

    async def send_text(self, text: str) -> None:
        for piece in wire.parts(text, next(_part_ids)):
            await self.send(text_data=piece)

    # -- group messages (type "room.x" -> method room_x) ----------------------------------------
    async def room_events(self, message: dict[str, Any]) -> None:
        if self.peeking or message["seq"] <= self.seq:
            return
        self.seq = message["seq"]
        await self.send_text(message["text"])

    async def room_metrics(self, message: dict[str, Any]) -> None:
        await self.send_text(message["text"])

    async def room_clock(self, message: dict[str, Any]) -> None:
        assert self.room is not None
        await self.send_frame(message.get("frame") or self.room.clock_frame())

    async def room_control(self, message: dict[str, Any]) -> None:
        assert self.room is not None
        if "free_play" in message:  # ``announce`` says it (a cluster's web process has no room)
            free_play = bool(message["free_play"])
            you = free_play or (self.client is not None and self.client == message["owner"])
        else:
            free_play, you = self.room.free_play, self.room.can_control(self.client)
        await self.send_frame(wire.control(you, free_play))

    async def room_snapshot(self, message: dict[str, Any]) -> None:
        if not self.peeking:
            await self.send_snapshot()

    async def room_timeline(self, message: dict[str, Any]) -> None:
        await self.send_frame(message["frame"])  # ``announce`` made it once for every viewer

    async def room_walkthrough(self, message: dict[str, Any]) -> None:
        room = self.room
        assert room is not None
        frame = await self.ask("walkthrough_frame", self.client)
        if frame is not None:
            await self.send_frame(frame)
