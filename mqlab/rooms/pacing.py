"""A room's runner: paces its clock against the wall clock and broadcasts its batches.

As in SimPy's ``rt.py``, pacing is a thin layer over a clock that knows nothing of wall
time: every frame (~40 ms) the runner asks the room to advance by the wall time that passed
times its speed (``Room.frame``, on a worker thread: ``offloop``), then sends the batch to
the room's group. While nobody watches, the clock holds, so an abandoned fast room costs
nothing until the registry frees it.
"""

from __future__ import annotations

import asyncio
import logging
import time
from typing import TYPE_CHECKING, Any

from channels.layers import get_channel_layer
from django.conf import settings

from mqlab.rooms import offloop, realclients

if TYPE_CHECKING:
    from mqlab.rooms.registry import Registry
    from mqlab.rooms.state import Room

logger = logging.getLogger("mqlab.rooms")

FRAME_SECONDS = 0.04
#: A runner that fell behind (a long garbage collection, a huge batch) catches up at most
#: this much wall time in one frame, rather than lurching through minutes of virtual time.
MAX_CATCH_UP_SECONDS = 0.25
#: The virtual time reached is saved this often (commands are journaled as they come).
SAVE_EVERY_SECONDS = 10.0


async def pace(room: Room, registry: Registry) -> None:
    """Advance, broadcast, save now and then, and free the room once it has been idle."""
    layer = get_channel_layer()
    last = last_save = time.monotonic()
    idle_limit = getattr(settings, "MQLAB_ROOM_IDLE_SECONDS", 300.0)
    try:
        while True:
            await asyncio.sleep(FRAME_SECONDS)
            now = time.monotonic()
            if room.viewers or realclients.connected(room):  # real clients need time
                said, batch = await offloop.call(room, room.frame,
                                                 min(now - last, MAX_CATCH_UP_SECONDS))
                if said:
                    await announce(room, said)
                if batch is not None:
                    await layer.group_send(room.group, batch)
                tail, room.metrics_out = room.metrics_out, None
                if tail is not None:
                    await layer.group_send(room.group, tail)
            last = now
            if (room.viewers == 0 and not realclients.connected(room)
                    and now - room.idle_since >= idle_limit):
                if await registry.free(room):
                    return
            elif now - last_save >= SAVE_EVERY_SECONDS and (room.dirty or not room.paused):
                await save(room)
                last_save = now
    except asyncio.CancelledError:
        raise
    except Exception:  # a bug in the server, not user input: keep the traceback
        logger.exception("room %s: runner stopped", room.id)


async def save(room: Room) -> None:
    """A periodic save; if the database refuses it, the room keeps running for its viewers
    (it is saved again at the next chance) rather than its runner stopping."""
    try:
        await offloop.call(room, room.save)
    except Exception:
        logger.exception("room %s: could not save; it keeps running", room.id)


async def announce(room: Room, what: str) -> None:
    """Tell every viewer of ``room`` about a clock, control, snapshot, timeline or walkthrough
    change (several, space-separated, in that order)."""
    layer: Any = get_channel_layer()
    for part in what.split():
        await layer.group_send(room.group, {"type": f"room.{part}", **await _facts(room, part)})


async def _facts(room: Room, part: str) -> dict[str, Any]:
    """What a viewer's consumer needs to show a change without asking the room (in a
    cluster, ``mqlab.cluster``, the consumer's web process does not hold the room)."""
    if part == "timeline":  # made once for every viewer, off the loop (it takes the lock)
        return {"frame": await offloop.call(room, room.timeline_frame)}
    if part == "clock":
        return {"frame": room.clock_frame()}
    if part == "control":
        return {"free_play": room.free_play, "owner": room.owner}
    return {}
