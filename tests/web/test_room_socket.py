"""The room socket: snapshot on connect, commands in, coalesced event batches out, and a
clear error frame for every kind of bad input, with the connection and the room surviving."""

from __future__ import annotations

import json

import pytest

from tests.web.conftest import OWNER, VIEWER, connect, create_room

pytestmark = [pytest.mark.asyncio, pytest.mark.django_db(transaction=True)]


def node_ids(frame, kind):
    return sorted(node["id"] for node in frame["topology"]["nodes"] if node["kind"] == kind)


async def open_room(client=OWNER):
    """A work-queue room, a socket on it, and the snapshot it got on connecting."""
    room = await create_room()
    socket = await connect(room.id, client=client)
    return room, socket, await socket.receive_json_from()


async def command(socket, command_name, ref="c1", **args):
    await socket.send_json_to({"v": 1, "type": "command", "ref": ref, "command": command_name,
                               "args": args})


async def control(socket, action, value=None):
    await socket.send_json_to({"v": 1, "type": "control", "action": action, "value": value})


async def next_frame(socket, kind, timeout=2.0):
    """The next frame of type ``kind``, skipping others (events, clock) on the way."""
    while True:
        frame = await socket.receive_json_from(timeout=timeout)
        if frame["type"] == kind:
            return frame


async def events_until(socket, predicate, timeout=3.0):
    """Event batches until one of their events satisfies ``predicate``."""
    seen = []
    while not any(predicate(event) for event in seen):
        frame = await next_frame(socket, "events", timeout)
        seen.extend(frame["events"])
    return seen


async def test_connect_sends_a_snapshot_of_the_preset(rooms):
    room, socket, snapshot = await open_room()
    assert snapshot["v"] == 1 and snapshot["type"] == "snapshot"
    assert snapshot["room"] == room.id
    assert snapshot["control"] == {"you": True, "free_play": False}
    assert node_ids(snapshot, "queue") == ["rabbitmq:queue:tasks"]
    assert node_ids(snapshot, "consumer") == [
        "rabbitmq:consumer:worker-1", "rabbitmq:consumer:worker-2", "rabbitmq:consumer:worker-3"]
    assert snapshot["seq"] == room.sim.seq and snapshot["speed"] == 1.0
    assert "rabbitmq:queue:tasks" in snapshot["contents"]
    await socket.disconnect()


async def test_a_viewer_gets_the_snapshot_without_control(rooms):
    room = await create_room()
    socket = await connect(room.id, client=VIEWER)
    snapshot = await socket.receive_json_from()
    assert snapshot["control"] == {"you": False, "free_play": False}
    await socket.disconnect()


async def test_publish_command_streams_its_events_with_patches(rooms):
    room, socket, _ = await open_room()
    await command(socket, "publish", ref="p1", exchange="", routing_key="tasks", body="job")
    result = await next_frame(socket, "result")
    assert result == {"v": 1, "type": "result", "ref": "p1", "ok": True,
                      "message": "published m1 to the default exchange with key 'tasks'"}
    events = await events_until(socket, lambda event: event["kind"] == "delivered")
    assert [event["kind"] for event in events if event["message_id"] == "m1"] == [
        "published", "enqueued", "delivered"]
    delivered = next(event for event in events if event["kind"] == "delivered")
    assert delivered["message_id"] == "m1"
    assert delivered["source"] == "rabbitmq:queue:tasks"
    assert delivered["target"] == "rabbitmq:consumer:worker-1"
    await socket.disconnect()


async def test_batches_are_numbered_without_gaps_and_patch_touched_nodes(rooms):
    room, socket, snapshot = await open_room()
    await control(socket, "pause")
    await command(socket, "publish", exchange="", routing_key="tasks", body="x {n}", count=5)
    frame = await next_frame(socket, "events")
    assert frame["from_seq"] == snapshot["seq"] + 1
    assert [event["seq"] for event in frame["events"]] == list(
        range(frame["from_seq"], frame["seq"] + 1))
    assert frame["patch"]["rabbitmq:queue:tasks"]["counters"]["ready"] == 2
    assert frame["patch"]["rabbitmq:consumer:worker-1"]["messages"][0]["id"] == "m1"
    # The first publish on a channel draws its producer -> exchange edge: a topology change.
    assert "rabbitmq:channel:ch1" in node_ids(frame, "producer")
    await command(socket, "publish", exchange="", routing_key="tasks")
    second = await next_frame(socket, "events")
    assert second["from_seq"] == frame["seq"] + 1
    assert "topology" not in second  # no topology change, no topology
    assert set(second["patch"]) == {"rabbitmq:queue:tasks"}
    await socket.disconnect()


async def test_topology_change_sends_the_new_topology(rooms):
    room, socket, _ = await open_room()
    await command(socket, "declare_queue", name="audit")
    await next_frame(socket, "result")
    frame = await next_frame(socket, "events")
    assert "rabbitmq:queue:audit" in node_ids(frame, "queue")
    assert frame["patch"]["rabbitmq:queue:audit"]["messages"] == []
    await socket.disconnect()


async def test_many_events_are_capped_for_animation_but_seq_and_patch_stay_exact(
        rooms, settings):
    settings.MQLAB_MAX_EVENTS_PER_FRAME = 10
    room, socket, snapshot = await open_room()
    await control(socket, "pause")
    await command(socket, "publish", exchange="", routing_key="tasks", count=50)
    frame = await next_frame(socket, "events")
    assert frame["from_seq"] == snapshot["seq"] + 1
    total = frame["seq"] - frame["from_seq"] + 1
    assert len(frame["events"]) == 10
    assert frame["dropped_events"] == total - 10
    assert frame["events"][-1]["seq"] == frame["seq"]
    counters = frame["patch"]["rabbitmq:queue:tasks"]["counters"]
    assert counters["ready"] == 47  # three went to the three workers (prefetch 1)
    await socket.disconnect()


@pytest.mark.parametrize(("text", "code", "field"), [
    ("{not json", "bad-json", None),
    ('{"v": 1, "type": "command", "command": "publish", "args": {"headers": {"x": NaN}}}',
     "bad-json", None),
    ("[" * 20000 + "]" * 20000, "bad-json", None),
    ("[1, 2]", "bad-frame", None),
    ('{"type": "resync"}', "bad-frame", "v"),
    ('{"v": 1, "type": "dance"}', "bad-frame", "type"),
    ('{"v": 1, "type": "command", "args": {}}', "bad-frame", "command"),
    ('{"v": 1, "type": "command", "command": "publish", "args": []}', "bad-frame", "args"),
    ('{"v": 1, "type": "command", "command": "explode", "args": {}}', "unknown-command",
     "command"),
    ('{"v": 1, "type": "command", "command": "add_consumer", "args": {"name": "w",'
     ' "queue": "tasks", "prefetch": "lots"}}', "bad-argument", "prefetch"),
    ('{"v": 1, "type": "command", "command": "publish", "args": {"colour": "red"}}',
     "bad-argument", "colour"),
    ('{"v": 1, "type": "command", "command": "publish", "args": {"headers": "[1]"}}',
     "bad-argument", "headers"),
    ('{"v": 1, "type": "control", "action": "speed", "value": 3}', "bad-argument", "value"),
    ('{"v": 1, "type": "control", "action": "rewind"}', "bad-frame", "action"),
    ('{"v": 1, "type": "command", "command": "publish", "args": {"exchange": "nowhere"}}',
     "engine-error", None),
    ('{"v": 1, "type": "command", "command": "publish", "args": {"body": "'
     + "x" * (64 * 1024) + '"}}', "too-large", None),
])
async def test_bad_frame_gets_an_error_and_the_connection_survives(rooms, text, code, field):
    room, socket, _ = await open_room()
    await socket.send_to(text_data=text)
    error = await next_frame(socket, "error")
    assert (error["code"], error["field"]) == (code, field)
    assert error["message"]
    await socket.send_json_to({"v": 1, "type": "resync"})
    assert (await next_frame(socket, "snapshot"))["room"] == room.id
    await socket.disconnect()


async def test_engine_error_message_is_the_brokers_own(rooms):
    room, socket, _ = await open_room()
    await command(socket, "publish", ref="p9", exchange="nowhere", routing_key="k")
    error = await next_frame(socket, "error")
    assert error["ref"] == "p9" and error["code"] == "engine-error"
    assert error["message"].startswith("NOT_FOUND - no exchange 'nowhere'")
    # The admin channel RabbitMQ closed is reopened for the next command.
    await command(socket, "publish", ref="p10", exchange="", routing_key="tasks")
    assert (await next_frame(socket, "result"))["ref"] == "p10"
    await socket.disconnect()


async def test_binary_frames_are_refused(rooms):
    room, socket, _ = await open_room()
    await socket.send_to(bytes_data=b"\x00\x01")
    error = await next_frame(socket, "error")
    assert error["code"] == "bad-frame"
    await socket.disconnect()


async def test_a_viewers_command_and_control_are_refused(rooms):
    room = await create_room()
    socket = await connect(room.id, client=VIEWER)
    await socket.receive_json_from()
    await command(socket, "publish", ref="v1", routing_key="tasks")
    error = await next_frame(socket, "error")
    assert (error["code"], error["ref"]) == ("not-allowed", "v1")
    await control(socket, "pause")
    assert (await next_frame(socket, "error"))["code"] == "not-allowed"
    await control(socket, "free_play", True)
    assert (await next_frame(socket, "error"))["code"] == "not-allowed"
    assert room.sim.seq == (await room_seq_after_resync(socket))
    assert not room.paused and not room.free_play
    await socket.disconnect()


async def room_seq_after_resync(socket):
    await socket.send_json_to({"v": 1, "type": "resync"})
    return (await next_frame(socket, "snapshot"))["seq"]


async def test_an_anonymous_socket_only_watches(rooms):
    room = await create_room()
    socket = await connect(room.id, client=None)
    assert (await socket.receive_json_from())["control"]["you"] is False
    await control(socket, "reset")
    assert (await next_frame(socket, "error"))["code"] == "not-allowed"
    await socket.disconnect()


async def test_free_play_hands_control_to_everyone_and_back(rooms):
    room = await create_room()
    owner = await connect(room.id, client=OWNER)
    viewer = await connect(room.id, client=VIEWER)
    await owner.receive_json_from()
    await viewer.receive_json_from()
    await control(owner, "free_play", True)
    assert await next_frame(viewer, "control") == {"v": 1, "type": "control", "you": True,
                                                   "free_play": True}
    await command(viewer, "publish", ref="s1", routing_key="tasks")
    assert (await next_frame(viewer, "result"))["ok"] is True
    await control(owner, "free_play", False)
    assert (await next_frame(viewer, "control"))["you"] is False
    assert (await next_frame(owner, "control"))["you"] is True
    await command(viewer, "publish", ref="s2", routing_key="tasks")
    assert (await next_frame(viewer, "error"))["code"] == "not-allowed"
    await owner.disconnect()
    await viewer.disconnect()


async def test_pause_speed_and_step_broadcast_the_clock(rooms):
    room = await create_room()
    owner = await connect(room.id)
    viewer = await connect(room.id, client=VIEWER)
    await owner.receive_json_from()
    await viewer.receive_json_from()
    await control(owner, "pause")
    assert (await next_frame(viewer, "clock"))["paused"] is True
    await control(owner, "speed", 4)
    assert (await next_frame(viewer, "clock"))["speed"] == 4.0
    # The preset's own producer keeps publishing; stopped, the next thing due is the ack.
    await command(owner, "stop_producer", producer="task-api")
    await command(owner, "publish", routing_key="tasks")
    delivered = await events_until(viewer, lambda event: event["kind"] == "delivered")
    before = room.sim.now
    await control(owner, "step")  # to the worker's ack, its processing time later
    clock = await next_frame(viewer, "clock")
    assert clock["now"] > before
    acked = await events_until(viewer, lambda event: event["kind"] == "acked")
    assert acked[-1]["message_id"] == delivered[-1]["message_id"]
    await owner.disconnect()
    await viewer.disconnect()


async def test_reset_sends_everyone_a_fresh_snapshot(rooms):
    room = await create_room()
    owner = await connect(room.id)
    await owner.receive_json_from()
    await command(owner, "declare_queue", name="extra")
    await next_frame(owner, "result")
    await control(owner, "reset")
    snapshot = await next_frame(owner, "snapshot")
    assert "rabbitmq:queue:extra" not in node_ids(snapshot, "queue")
    assert room.log == []
    await owner.disconnect()


async def test_unknown_room_gets_an_error_and_is_closed(rooms):
    socket = await connect("no-such-room")
    error = await socket.receive_json_from()
    assert error["code"] == "not-found" and "no-such-room" in error["message"]
    assert (await socket.receive_output())["type"] == "websocket.close"


async def test_error_frames_print_no_traceback(rooms, caplog):
    room, socket, _ = await open_room()
    for text in ("{", json.dumps({"v": 1, "type": "command", "command": "nope"})):
        await socket.send_to(text_data=text)
        await next_frame(socket, "error")
    assert not any(record.exc_info for record in caplog.records)
    await socket.disconnect()


async def test_a_model_failing_during_a_tick_pauses_the_room_and_keeps_the_socket(
        rooms, monkeypatch):
    room, socket, _ = await open_room()

    def broken_advance(at, max_calls=None):
        raise RuntimeError("model bug")

    monkeypatch.setattr(room.sim, "advance_to", broken_advance)
    clock = await next_frame(socket, "clock")
    assert clock["paused"] is True and room.paused
    monkeypatch.undo()
    await command(socket, "publish", ref="after", routing_key="tasks")
    assert (await next_frame(socket, "result"))["ref"] == "after"
    await socket.disconnect()
