"""The room socket of a cluster's web process: ``RoomConsumer`` with its room elsewhere.

Everything the socket asks of its room (a snapshot, a command, a control, a walkthrough
step, the charts' history, the timeline, a peek) is a call to the room's worker
(``web.call``), and the worker announces what a command changed: its announcements carry
what viewers need (the clock, the timeline frame). Batches, announcements and the charts'
metrics tails reach the socket on its channel, in order with its own frames, from this
process's relay for the room (``web.Viewers``: the process, not each socket, is in the
room's group), which also counts the viewers.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from mqlab import wire
from mqlab.cluster import rpc, web
from mqlab.consumers import RoomConsumer
from mqlab.rooms import Outcome

#: The socket closes with "try again later" when no worker answers.
CLOSE_TRY_AGAIN = 1013
#: Calls whose failure is told as a refused command rather than by closing the socket.
_ACTIONS = ("run_command", "control", "walkthrough")
#: Requests answered with a frame for this socket: their failure is told in an error frame.
_REQUESTS = ("metrics_frame", "peek")


@dataclass
class RemoteRoom:
    """What the consumer knows of a room held by a worker: its id and group. ``guide`` is
    None: the worker itself tells a walkthrough's viewers how many watch."""

    id: str
    group: str = field(init=False)
    guide: None = None

    def __post_init__(self) -> None:
        self.group = f"room.{self.id}"


class ClusterRoomConsumer(RoomConsumer):
    async def connect(self) -> None:
        try:
            await super().connect()
        except rpc.WorkerUnavailable as error:
            await self.send_frame(wire.error("busy", error.message))
            await self.close(code=CLOSE_TRY_AGAIN)

    async def open_room(self, room_id: str) -> Any:
        await web.locate(room_id)  # RoomNotFound before the socket joins anything
        return RemoteRoom(room_id)

    async def watch(self) -> None:
        assert self.room is not None
        await web.viewers.join(self.room.id, self)

    async def leave(self) -> None:
        assert self.room is not None
        await web.viewers.leave(self.room.id, self)

    async def ask(self, method: str, *args: Any) -> Any:
        assert self.room is not None
        try:
            return await web.call(self.room.id, method, args)
        except rpc.WorkerUnavailable as error:
            if method in _ACTIONS:
                return Outcome(False, error.message, code="busy")
            if method in _REQUESTS:
                return wire.error("busy", error.message)
            raise
