"""A room without viewers is saved and freed; its URL starts it again, exactly as it was."""

from __future__ import annotations

import asyncio

import pytest
from channels.db import database_sync_to_async

from mqlab.models import RoomRecord
from mqlab.rooms import registry
from tests.web.conftest import OWNER, connect, create_room

pytestmark = [pytest.mark.asyncio, pytest.mark.django_db(transaction=True)]


async def wait_until(condition, timeout=3.0):
    deadline = asyncio.get_running_loop().time() + timeout
    while not condition():
        assert asyncio.get_running_loop().time() < deadline, "timed out"
        await asyncio.sleep(0.02)


async def test_idle_room_is_saved_freed_and_restarted_from_the_database(rooms, settings):
    settings.MQLAB_ROOM_IDLE_SECONDS = 0.1
    room = await create_room()
    socket = await connect(room.id, client=OWNER)
    await socket.receive_json_from()
    await socket.send_json_to({"v": 1, "type": "control", "action": "pause"})
    await socket.send_json_to({"v": 1, "type": "command", "command": "publish",
                               "args": {"routing_key": "tasks", "count": 5}})
    await socket.send_json_to({"v": 1, "type": "command", "command": "crash_consumer",
                               "args": {"consumer": "worker-2"}})
    await socket.send_json_to({"v": 1, "type": "control", "action": "step"})
    await socket.send_json_to({"v": 1, "type": "resync"})
    while (before := await socket.receive_json_from())["type"] != "snapshot":
        pass
    await socket.disconnect()

    await wait_until(lambda: registry.running(room.id) is None)
    record = await database_sync_to_async(RoomRecord.objects.get)(id=room.id)
    assert [name for _, name, _ in record.log] == ["publish", "crash_consumer"]
    assert record.paused and record.now == before["now"] > 0

    again = await connect(room.id, client=OWNER)
    after = await again.receive_json_from()
    assert registry.running(room.id) is not room  # a new Room, rebuilt from the record
    assert after == before
    await again.disconnect()


async def test_a_returning_viewer_keeps_the_room_running(rooms, settings):
    settings.MQLAB_ROOM_IDLE_SECONDS = 0.3
    room = await create_room()
    first = await connect(room.id)
    await first.receive_json_from()
    await first.disconnect()
    second = await connect(room.id)
    await second.receive_json_from()
    await asyncio.sleep(0.5)
    assert registry.running(room.id) is room
    await second.disconnect()


async def test_the_clock_holds_while_nobody_watches(rooms, settings):
    """An abandoned room (a producer at full speed, nobody watching) must not keep the
    server busy until it is freed: its clock waits for the next viewer."""
    settings.MQLAB_ROOM_IDLE_SECONDS = 60
    room = await create_room()
    socket = await connect(room.id, client=OWNER)
    await socket.receive_json_from()
    await wait_until(lambda: room.sim.now > 0)
    await socket.disconnect()
    await wait_until(lambda: room.viewers == 0)
    left_at = room.sim.now
    await asyncio.sleep(0.3)
    assert room.sim.now == left_at
    again = await connect(room.id)
    snapshot = await again.receive_json_from()
    assert snapshot["now"] == left_at
    await wait_until(lambda: room.sim.now > left_at)
    await again.disconnect()
