"""Found in QA: when a room's periodic save failed (a command log the database refused), the
exception ended the room's runner: the clock stopped and no more events reached anyone, with
nothing on the page to say why. A failed save is now logged and the room keeps running."""

from __future__ import annotations

import asyncio

import pytest

from mqlab.rooms import pacing as rooms_module
from tests.web.conftest import connect, create_room

pytestmark = [pytest.mark.asyncio, pytest.mark.django_db(transaction=True)]


async def next_frame(socket, kind: str, timeout: float = 3.0) -> dict:
    async def wait() -> dict:
        while (frame := await socket.receive_json_from(timeout=timeout))["type"] != kind:
            pass
        return frame
    return await asyncio.wait_for(wait(), timeout)


async def test_a_room_whose_save_fails_keeps_running(rooms, monkeypatch, caplog):
    monkeypatch.setattr(rooms_module, "SAVE_EVERY_SECONDS", 0.0)
    room = await create_room()
    saves = []

    def failing_save() -> None:
        saves.append(True)
        raise ValueError("the database refused the log")

    monkeypatch.setattr(room, "save", failing_save)
    socket = await connect(room.id)
    await next_frame(socket, "snapshot")
    await socket.send_json_to({"v": 1, "type": "command", "command": "publish",
                               "args": {"routing_key": "tasks", "body": "first"}})
    await next_frame(socket, "events")
    for _ in range(50):  # the runner tries to save the now dirty room
        if saves:
            break
        await asyncio.sleep(0.02)
    assert saves
    await asyncio.sleep(0.1)
    # The room still runs: a later command's events still arrive.
    await socket.send_json_to({"v": 1, "type": "command", "command": "publish",
                               "args": {"routing_key": "tasks", "body": "second"}})
    frame = await next_frame(socket, "events")
    assert any(e["kind"] == "published" for e in frame["events"])
    assert "could not save" in caplog.text
    await socket.disconnect()
