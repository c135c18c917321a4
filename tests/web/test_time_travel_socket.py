"""Time travel over the room socket: seek answers everyone with a snapshot at that instant
and a timeline; branch and undo the same; watchers are refused all three but may peek on
their own, which nobody else hears about; bad values get error frames."""

from __future__ import annotations

import asyncio
import json

import pytest
from channels.db import database_sync_to_async

from mqlab.rooms import offloop
from tests.web.conftest import OWNER, VIEWER, connect, create_room
from tests.web.test_room_socket import control, next_frame

pytestmark = [pytest.mark.asyncio, pytest.mark.django_db(transaction=True)]


async def busy_room():
    """A work-queue room that ran 20 virtual seconds with a publish at t=5."""
    room = await create_room()

    def run():
        room.tick(5.0)
        assert room.run_command(OWNER, "publish", {"routing_key": "tasks", "count": 3}).ok
        room.tick(15.0)
    await offloop.call(room, run)
    return room


async def joined(room, client=OWNER):
    """A socket on ``room``, past its snapshot and timeline."""
    socket = await connect(room.id, client=client)
    await next_frame(socket, "timeline")
    return socket


async def heard_a_snapshot(socket, seconds: float = 0.3) -> bool:
    """Whether ``socket`` gets a snapshot within ``seconds`` (other frames, such as the charts'
    metrics tails, may come and go)."""
    loop = asyncio.get_running_loop()
    until = loop.time() + seconds
    while (left := until - loop.time()) > 0:
        if await socket.receive_nothing(timeout=left, interval=0.02):
            return False
        if json.loads(await socket.receive_from())["type"] == "snapshot":
            return True
    return False


async def owner_and_viewer(room):
    return await joined(room), await joined(room, VIEWER)


async def test_connecting_sends_the_timeline_after_the_snapshot(rooms):
    room = await busy_room()
    socket = await connect(room.id)
    assert (await socket.receive_json_from())["type"] == "snapshot"
    timeline = await next_frame(socket, "timeline")
    assert timeline["v"] == 1 and timeline["branch"] == "main"
    assert timeline["branches"] == ["main"] and timeline["end"] >= 20.0
    assert set(timeline) >= {"now", "end", "markers", "branches", "branch"}
    await socket.disconnect()


async def test_a_seek_moves_every_viewer_to_that_instant(rooms):
    room = await busy_room()
    owner, viewer = await owner_and_viewer(room)
    await control(owner, "seek", 7.25)
    for socket in (owner, viewer):
        snapshot = await next_frame(socket, "snapshot")
        assert snapshot["now"] == 7.25 and snapshot["paused"] is True
        timeline = await next_frame(socket, "timeline")
        assert timeline["now"] == 7.25 and timeline["end"] >= 20.0
    first = snapshot
    await control(owner, "seek", 19.0)
    await next_frame(owner, "snapshot")
    await control(owner, "seek", 7.25)  # the same instant again: the same picture
    again = await next_frame(owner, "snapshot")
    assert {k: again[k] for k in ("seq", "topology", "contents")} == \
        {k: first[k] for k in ("seq", "topology", "contents")}
    await owner.disconnect()
    await viewer.disconnect()


async def test_a_command_after_a_seek_forks_and_branch_switches_back(rooms):
    room = await busy_room()
    socket = await joined(room)
    await control(socket, "seek", 2.0)
    await next_frame(socket, "timeline")
    await socket.send_json_to({"v": 1, "type": "command", "ref": "r", "command": "publish",
                               "args": {"routing_key": "tasks", "body": "the fix"}})
    assert (await next_frame(socket, "result"))["ref"] == "r"
    await control(socket, "branch", "main")
    snapshot = await next_frame(socket, "snapshot")
    timeline = await next_frame(socket, "timeline")
    assert snapshot["now"] == 2.0
    assert timeline["branch"] == "main" and timeline["branches"] == ["main", "branch 2"]
    await control(socket, "branch", "no such branch")
    error = await next_frame(socket, "error")
    assert error["code"] == "bad-argument" and "branch 2" in error["message"]
    await socket.disconnect()


async def test_undo_over_the_socket_goes_back_before_the_last_command(rooms):
    room = await busy_room()
    socket = await joined(room)
    await control(socket, "undo")
    snapshot = await next_frame(socket, "snapshot")
    timeline = await next_frame(socket, "timeline")
    assert snapshot["now"] == 5.0 and timeline["branches"] == ["main", "branch 2"]
    assert room.log == []
    await socket.disconnect()


async def test_watchers_are_refused_seek_branch_and_undo(rooms):
    room = await busy_room()
    viewer = await joined(room, VIEWER)
    for action, value in (("seek", 1.0), ("branch", "main"), ("undo", None)):
        await control(viewer, action, value)
        error = await next_frame(viewer, "error")
        assert error["code"] == "not-allowed" and "watching" in error["message"]
    assert not room.paused and room.timeline_frame()["branches"] == ["main"]
    assert room.sim.now >= 20.0
    await viewer.disconnect()


async def test_a_watcher_peeks_alone_and_returns_to_live(rooms):
    room = await busy_room()
    owner, viewer = await owner_and_viewer(room)
    await control(viewer, "peek", 3.5)
    peeked = await next_frame(viewer, "snapshot")
    assert peeked["peek"] is True and peeked["now"] == 3.5
    assert not await heard_a_snapshot(owner), "a peek must reach nobody but the watcher"
    assert room.sim.now >= 20.0
    await control(viewer, "peek", None)
    live = await next_frame(viewer, "snapshot")
    assert "peek" not in live and live["now"] >= 20.0
    await owner.disconnect()
    await viewer.disconnect()


@pytest.mark.parametrize("action, value", [
    ("seek", -1), ("seek", "soon"), ("seek", True), ("seek", None), ("peek", "x"),
    ("branch", ""), ("branch", 5), ("branch", "b" * 41)])
async def test_bad_time_travel_values_are_refused_beside_the_field(rooms, action, value):
    room = await create_room()
    socket = await joined(room)
    await control(socket, action, value)
    error = await next_frame(socket, "error")
    assert error["code"] == "bad-argument" and error["field"] == "value"
    await socket.disconnect()


async def test_branches_survive_the_room_being_freed_and_loaded(rooms):
    room = await busy_room()
    socket = await joined(room)
    await control(socket, "undo")
    await next_frame(socket, "timeline")
    await socket.disconnect()
    await offloop.call(room, room.save)
    await rooms.stop_all()
    await database_sync_to_async(rooms.clear)()
    socket = await connect(room.id)
    timeline = await next_frame(socket, "timeline")
    assert timeline["branches"] == ["main", "branch 2"] and timeline["branch"] == "branch 2"
    await socket.disconnect()
