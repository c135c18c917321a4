"""Zulip's verify_action idea for the room stream: a snapshot plus the event batches (their
patches and topologies) that followed equals a fresh snapshot. Checked over a real socket
for a scripted lesson, and at the room level for random command sequences (Hypothesis)."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mqlab.presets import find
from mqlab.rooms import Room
from tests.web.conftest import OWNER, connect, create_room
from tests.web.playground import Picture, follow, fresh_snapshot, replayed

LESSON = [
    ("publish", {"routing_key": "tasks", "count": 4}),
    ("declare_exchange", {"name": "logs", "exchange_type": "fanout"}),
    ("declare_queue", {"name": "audit", "max_length": 2, "overflow": "drop-head"}),
    ("bind", {"queue": "audit", "exchange": "logs"}),
    ("add_consumer", {"name": "auditor", "queue": "audit", "ack_mode": "manual", "prefetch": 2}),
    ("publish", {"exchange": "logs", "routing_key": "", "count": 5}),
    ("crash_consumer", {"consumer": "worker-1"}),
    ("ack", {"consumer": "auditor", "delivery_tag": 1}),
    ("nack", {"consumer": "auditor", "delivery_tag": 2, "requeue": True}),
    ("publish_poison", {"routing_key": "tasks"}),
    ("delete_queue", {"name": "audit"}),
    ("unbind", {"queue": "nowhere", "exchange": "logs"}),  # refused: NOT_FOUND
]


@pytest.mark.asyncio
@pytest.mark.django_db(transaction=True)
async def test_snapshot_plus_batches_equals_a_fresh_snapshot_over_the_socket(rooms):
    room = await create_room()
    socket = await connect(room.id, client=OWNER)
    picture = Picture(await socket.receive_json_from())
    await socket.send_json_to({"v": 1, "type": "control", "action": "pause"})
    for name, args in LESSON:
        await socket.send_json_to({"v": 1, "type": "command", "command": name, "args": args})
    for _ in range(6):
        await socket.send_json_to({"v": 1, "type": "control", "action": "step"})
    # Every batch up to the room's last event, then whatever clock frame is still coming.
    while picture.seq != room.sim.seq or not await socket.receive_nothing(timeout=0.2):
        frame = await socket.receive_json_from(timeout=3)
        if frame["type"] in ("events", "clock"):
            picture.apply(frame)
    assert picture.seq > 40
    await socket.send_json_to({"v": 1, "type": "resync"})
    assert picture.matches(await socket.receive_json_from())
    await socket.disconnect()


# -- the same at the room level, for random lessons -----------------------------------------

ACTIONS = st.one_of(
    st.tuples(st.just("publish"), st.fixed_dictionaries({
        "routing_key": st.sampled_from(["tasks", "audit", "missing"]),
        "count": st.integers(1, 4), "priority": st.none() | st.integers(0, 9),
        "expiration": st.none() | st.integers(0, 3000)})),
    st.tuples(st.just("publish_poison"), st.fixed_dictionaries({"routing_key": st.just("tasks")})),
    st.tuples(st.just("crash_consumer"), st.fixed_dictionaries({
        "consumer": st.sampled_from(["worker-1", "worker-2", "worker-3", "extra"])})),
    st.tuples(st.just("add_consumer"), st.fixed_dictionaries({
        "name": st.just("extra"), "queue": st.sampled_from(["tasks", "audit"]),
        "ack_mode": st.sampled_from(["auto", "after-processing", "manual"]),
        "prefetch": st.integers(0, 3)})),
    st.tuples(st.just("ack"), st.fixed_dictionaries({
        "consumer": st.just("extra"), "delivery_tag": st.integers(1, 4)})),
    st.tuples(st.just("reject"), st.fixed_dictionaries({
        "consumer": st.just("extra"), "delivery_tag": st.integers(1, 4),
        "requeue": st.booleans()})),
    st.tuples(st.just("declare_queue"), st.fixed_dictionaries({
        "name": st.just("audit"), "message_ttl": st.none() | st.integers(0, 2000)})),
    st.tuples(st.just("delete_queue"), st.fixed_dictionaries({"name": st.just("audit")})),
    st.tuples(st.just("consumer_settings"), st.fixed_dictionaries({
        "consumer": st.sampled_from(["worker-1", "worker-2"]), "prefetch": st.integers(0, 3)})),
    st.tuples(st.just("wait"), st.floats(0.0, 5.0)),
    st.tuples(st.just("step"), st.none()),
)


def new_room() -> Room:
    return Room("r", find("rabbitmq-work-queue"), seed=3, owner=OWNER)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(ACTIONS, max_size=25))
def test_room_batches_rebuild_the_fresh_snapshot(actions):
    room = new_room()
    assert follow(room, actions).matches(fresh_snapshot(room), clock=False)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(ACTIONS, max_size=25))
def test_replaying_the_log_rebuilds_the_room_exactly(actions):
    live, rebuilt = replayed(new_room, actions)
    assert list(rebuilt.history) == list(live.history)
    assert rebuilt.sim.snapshot() == live.sim.snapshot()
