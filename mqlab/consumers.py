"""The room socket: a thin Channels consumer between a browser and a running room.

On connect it joins the room's group and sends a snapshot; then the room's runner broadcasts
one ``room.events`` message per frame, already serialised, which each consumer forwards
unless its snapshot already covers it. Client frames are checked by ``mqlab.wire`` and run
through the room (``Room.run_command`` / ``Room.control``), the same path as htmx forms. Any
bad frame gets an error frame and the connection stays open; nothing a user sends produces a
traceback.
"""

from __future__ import annotations

import logging
from typing import Any

from channels.generic.websocket import AsyncWebsocketConsumer

from mqlab import wire
from mqlab.rooms import CLIENT_KEY, Room, RoomNotFound, announce, registry

logger = logging.getLogger(__name__)

#: Close code for a room that does not exist (4000-4999 are the application's own).
CLOSE_NOT_FOUND = 4404


class RoomConsumer(AsyncWebsocketConsumer):
    room: Room | None = None

    async def connect(self) -> None:
        await self.accept()
        room_id = self.scope["url_route"]["kwargs"]["room_id"]
        session = self.scope.get("session")
        self.client: str | None = session.get(CLIENT_KEY) if session is not None else None
        self.seq = 0
        try:
            self.room = await registry.aget(room_id)
        except RoomNotFound as error:
            await self.send_frame(wire.error("not-found", str(error)))
            await self.close(code=CLOSE_NOT_FOUND)
            return
        await self.channel_layer.group_add(self.room.group, self.channel_name)
        self.room.attach()
        await self.send_snapshot()

    async def disconnect(self, code: int) -> None:
        if self.room is not None:
            self.room.detach()
            await self.channel_layer.group_discard(self.room.group, self.channel_name)

    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None) -> None:
        if self.room is None:
            return
        try:
            if text_data is None:
                raise wire.WireError("bad-frame", "send JSON text frames, not binary ones")
            frame = wire.parse_client_frame(text_data)
        except wire.WireError as error:
            logger.info("room %s: refused a frame: %s", self.room.id, error.message)
            await self.send_frame(wire.error(error.code, error.message, ref=error.ref,
                                             field=error.field))
            return
        await self.handle(frame)

    async def handle(self, frame: wire.ClientFrame) -> None:
        room = self.room
        assert room is not None
        if isinstance(frame, wire.ResyncFrame):
            await self.send_snapshot()
            return
        if isinstance(frame, wire.CommandFrame):
            outcome = room.run_command(self.client, frame.command, frame.args)
            ref = frame.ref
        elif isinstance(frame, wire.WalkthroughFrame):
            outcome = room.walkthrough(self.client, frame.action, frame.value)
            ref = None
        else:
            outcome = room.control(self.client, frame.action, frame.value)
            ref = None
        if not outcome.ok:
            await self.send_frame(wire.error(outcome.code or "engine-error", outcome.message,
                                             ref=ref, field=outcome.field))
            return
        if ref is not None:
            await self.send_frame(wire.result(ref, outcome.message))
        if outcome.announce:
            await announce(room, outcome.announce)

    async def send_snapshot(self) -> None:
        assert self.room is not None
        batch, snapshot = self.room.join(self.client)
        if batch is not None:  # for the others; this consumer's snapshot already covers it
            await self.channel_layer.group_send(self.room.group, batch)
        self.seq = snapshot["seq"]
        await self.send_frame(snapshot)
        walkthrough = self.room.walkthrough_frame()
        if walkthrough is not None:
            await self.send_frame(walkthrough)

    async def send_frame(self, frame: dict[str, Any]) -> None:
        await self.send(text_data=wire.dumps(frame))

    # -- group messages (type "room.x" -> method room_x) ----------------------------------------
    async def room_events(self, message: dict[str, Any]) -> None:
        if message["seq"] <= self.seq:
            return
        self.seq = message["seq"]
        await self.send(text_data=message["text"])

    async def room_clock(self, message: dict[str, Any]) -> None:
        assert self.room is not None
        await self.send_frame(self.room.clock_frame())

    async def room_control(self, message: dict[str, Any]) -> None:
        assert self.room is not None
        await self.send_frame(wire.control(self.room.can_control(self.client),
                                           self.room.free_play))

    async def room_snapshot(self, message: dict[str, Any]) -> None:
        await self.send_snapshot()

    async def room_walkthrough(self, message: dict[str, Any]) -> None:
        assert self.room is not None
        frame = self.room.walkthrough_frame()
        if frame is not None:
            await self.send_frame(frame)
