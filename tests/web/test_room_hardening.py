"""Rooms no user can break (issue 9): the event loop never waits on a room, a room that
cannot keep up runs slower and says so, frames always fit, sockets are rate-limited, a stored
log that no longer replays still opens, and an acknowledged command survives a crash."""

from __future__ import annotations

import asyncio
import dataclasses
import json
import threading
import time

import pytest
from channels.db import database_sync_to_async

from mqlab import wire
from mqlab.models import CommandEntry, RoomRecord
from mqlab.rooms import offloop, registry
from tests.web.conftest import connect, create_room

pytestmark = [pytest.mark.django_db(transaction=True)]


async def frames_for(socket, seconds: float) -> list[tuple[float, dict]]:
    """Every frame a socket gets for ``seconds``, with its arrival time. (Reads the test
    communicator's queue itself: its own receive cancels the application on a time-out.)"""
    got: list[tuple[float, dict]] = []
    end = time.monotonic() + seconds
    while (left := end - time.monotonic()) > 0:
        try:
            message = await asyncio.wait_for(socket.output_queue.get(), left)
        except TimeoutError:
            break
        got.append((time.monotonic(), json.loads(message["text"])))
    return got


async def next_frame(socket, kind: str, timeout: float = 3.0) -> dict:
    while (frame := await socket.receive_json_from(timeout=timeout))["type"] != kind:
        pass
    return frame


async def command(socket, command_name, ref="c1", **args):
    await socket.send_json_to({"v": 1, "type": "command", "ref": ref, "command": command_name,
                               "args": args})


@pytest.mark.asyncio
async def test_a_slow_command_in_one_room_never_stalls_another_rooms_frames(rooms, monkeypatch):
    busy, other = await create_room(), await create_room()
    busy_socket, other_socket = await connect(busy.id), await connect(other.id)
    await next_frame(busy_socket, "snapshot")
    await next_frame(other_socket, "snapshot")
    await command(other_socket, "start_producer", name="steady", rate=20, routing_key="tasks")
    await next_frame(other_socket, "result")

    def slow_publish(*args, **kwargs):
        time.sleep(1.5)  # a command that holds its room (and its lock) for 1.5 s
        return "slow"

    slow = tuple(dataclasses.replace(c, run=slow_publish) if c.name == "publish" else c
                 for c in busy.kit.commands)
    monkeypatch.setattr(busy, "kit", dataclasses.replace(busy.kit, commands=slow))
    await command(busy_socket, "publish", routing_key="tasks")
    frames = await frames_for(other_socket, 1.2)
    arrivals = [at for at, frame in frames if frame["type"] == "events"]
    gaps = [b - a for a, b in zip(arrivals, arrivals[1:], strict=False)]
    # The other room kept streaming all the while: the old code stalled it for the whole
    # 1.5 s (a behaviour, not a speed target: the benchmark measures the gaps).
    assert len(arrivals) >= 10 and max(gaps) < 0.75
    assert (await next_frame(busy_socket, "result", timeout=5))["message"] == "slow"
    await busy_socket.disconnect()
    await other_socket.disconnect()


@pytest.mark.asyncio
async def test_a_room_that_cannot_keep_up_runs_slower_and_says_so(rooms, settings):
    settings.MQLAB_ROOM_WORK_BUDGET_SECONDS = 0.002
    room = await create_room()
    socket = await connect(room.id)
    await next_frame(socket, "snapshot")
    await command(socket, "start_producer", name="flood", rate=1000, routing_key="tasks")
    await next_frame(socket, "result")
    await socket.send_json_to({"v": 1, "type": "control", "action": "speed", "value": 8})
    deadline = time.monotonic() + 8
    while time.monotonic() < deadline:
        frame = await next_frame(socket, "clock", timeout=8)
        if frame.get("overloaded"):
            break
    assert frame["overloaded"] is True and 0 < frame["effective_speed"] < 8 * 0.9
    await socket.disconnect()


@pytest.mark.asyncio
async def test_a_snapshot_longer_than_a_socket_frame_arrives_in_parts(rooms, monkeypatch):
    monkeypatch.setattr(wire, "MAX_SERVER_FRAME_CHARS", 300)
    room = await create_room()
    socket = await connect(room.id)
    parts = []
    while True:
        frame = await socket.receive_json_from(timeout=3)
        assert frame["type"] == "part"
        assert len(json.dumps(frame)) < 2 * 300 + 200
        parts.append(frame)
        if frame["index"] == frame["count"] - 1:
            break
    assert [p["index"] for p in parts] == list(range(parts[0]["count"]))
    assert len({p["id"] for p in parts}) == 1
    whole = json.loads("".join(p["text"] for p in parts))
    assert whole["type"] == "snapshot" and whole["room"] == room.id
    await socket.disconnect()


@pytest.mark.asyncio
async def test_a_socket_sending_faster_than_its_bucket_is_refused_frame_by_frame(rooms,
                                                                                  settings):
    settings.MQLAB_SOCKET_FRAMES_PER_SECOND = 5
    settings.MQLAB_SOCKET_FRAMES_BURST = 10
    room = await create_room()
    socket = await connect(room.id)
    await next_frame(socket, "snapshot")
    for n in range(30):
        await command(socket, "publish", ref=f"c{n}", routing_key="tasks")
    answers = {}
    while len(answers) < 30:
        frame = await socket.receive_json_from(timeout=5)
        if frame["type"] in ("result", "error") and frame.get("ref"):
            answers[frame["ref"]] = frame
    refused = [f for f in answers.values() if f["type"] == "error"]
    assert all(f["code"] == "rate-limited" for f in refused)
    assert 15 <= len(refused) <= 20  # ten went through at once, a few more as tokens dripped
    assert "at most 5 a second" in refused[0]["message"]
    await socket.disconnect()


@pytest.mark.asyncio
async def test_an_acknowledged_command_is_in_the_journal_before_its_reply(rooms):
    room = await create_room()
    socket = await connect(room.id)
    await next_frame(socket, "snapshot")
    await command(socket, "publish", ref="p1", routing_key="tasks", body="kept")
    assert (await next_frame(socket, "result"))["ref"] == "p1"
    entries = await database_sync_to_async(
        lambda: [e.entry for e in CommandEntry.objects.filter(room_id=room.id)])()
    assert [entry[1] for entry in entries] == ["publish"]
    assert entries[0][2]["body"] == "kept"
    await socket.disconnect()


def test_a_room_lost_without_a_save_comes_back_from_its_journal(sync_rooms):
    room = registry.create("rabbitmq-work-queue", "owner", seed=3)
    for n in range(10):
        assert room.run_command("owner", "publish", {"routing_key": "tasks",
                                                     "body": f"m{n}"}).ok
    room.tick(2.0)
    registry.clear()  # the process died: nothing saved since the room was created
    assert RoomRecord.objects.get(id=room.id).log == []
    back = registry.get(room.id)
    assert back is not room
    assert [entry[2]["body"] for entry in back.log] == [f"m{n}" for n in range(10)]
    assert back.sim.now >= room.log[-1][0]
    back.save()  # folded into the record; the journal is emptied
    assert len(RoomRecord.objects.get(id=room.id).log) == 10
    assert not CommandEntry.objects.filter(room_id=room.id).exists()


def test_shutdown_saves_every_room_with_its_virtual_time(sync_rooms):
    room = registry.create("rabbitmq-work-queue", "owner", seed=3)
    room.tick(4.0)
    assert registry.save_all() >= 1
    assert RoomRecord.objects.get(id=room.id).now == pytest.approx(room.sim.now)
    registry.clear()
    assert registry.get(room.id).sim.now == pytest.approx(4.0)


def test_a_stored_log_that_no_longer_replays_still_opens_and_says_where(sync_rooms):
    room = registry.create("rabbitmq-work-queue", "owner", seed=3)
    assert room.run_command("owner", "publish", {"routing_key": "tasks"}).ok
    room.save()
    record = RoomRecord.objects.get(id=room.id)
    record.log = [*record.log, [1.0, "publish", {"routing_key": 5, "nonsense": True}],
                  "not an entry", [2.0, "no_such_command", {}]]
    record.save()
    registry.clear()
    back = registry.get(room.id)
    assert back.notice is not None and back.notice.startswith("replay diverged at command 2")
    assert len(back.log) == 4  # nothing dropped: the log is kept as it was
    _, snapshot = back.join("owner")
    assert snapshot["notice"] == back.notice


@pytest.mark.asyncio
async def test_room_work_runs_on_worker_threads_not_the_event_loop(rooms):
    room = await create_room()
    loop_thread = threading.get_ident()
    ran_on = await offloop.call(room, threading.get_ident)
    assert ran_on != loop_thread


def test_the_registry_deletes_rooms_unused_for_the_retention_time_now_and_then(sync_rooms):
    from datetime import timedelta

    from django.utils import timezone

    old = registry.create("rabbitmq-work-queue", "owner", seed=3)
    registry.clear()
    RoomRecord.objects.filter(id=old.id).update(updated=timezone.now() - timedelta(days=40))
    registry._purged_at = None  # an hour has passed since the last sweep
    registry.create("rabbitmq-work-queue", "owner", seed=3)
    assert not RoomRecord.objects.filter(id=old.id).exists()


def test_a_room_past_its_share_of_the_cpu_waits_and_says_so(sync_rooms, settings):
    settings.MQLAB_ROOM_CPU_SHARE = 0.01
    settings.MQLAB_ROOM_CPU_BURST_SECONDS = 0.02
    room = registry.create("rabbitmq-work-queue", "owner", seed=3)
    outcomes = [room.run_command("owner", "publish", {"routing_key": "tasks", "count": 200})
                for _ in range(10)]
    assert outcomes[0].ok
    busy = [o for o in outcomes if not o.ok]
    assert busy and all(o.code == "busy" for o in busy)
    assert "used its share of the server" in busy[0].message
    before = room.sim.now
    room.tick(1.0)  # no CPU left: the clock waits rather than taking more
    assert room.sim.now == before


def test_the_forms_offer_a_bounded_list_of_names_however_big_the_room(sync_rooms):
    from mqlab.commands import MAX_SUGGESTIONS

    room = registry.create("rabbitmq-work-queue", "owner", seed=3)
    for n in range(99):
        assert room.run_command("owner", "declare_queue", {"name": f"q{n}"}).ok
    suggestions = [len(field["suggestions"]) for group in room.command_groups()
                   for command in group["commands"] for field in command["fields"]]
    assert max(suggestions) == MAX_SUGGESTIONS
