"""The memory alarm and blocked connections ("Memory and Disk Alarms", "Blocked Connection
Notifications"): publishers are blocked and their publishes held in order, consumers carry
on, nothing is lost."""

import pytest

from engine import Simulation
from engine.errors import InvalidArgument
from engine.invariants import conservation_violations

FLOW = {"alarm-raised", "alarm-cleared", "connection-blocked", "connection-unblocked",
        "publish-held"}


def record(sim):
    seen = []
    sim.subscribe(seen.append)
    return seen


def trace(events, kinds):
    return [(e.kind, e.message_id, e.details.get("connection")) for e in events
            if e.kind in kinds]


def world(watermark=2):
    sim = Simulation(seed=3)
    events = record(sim)
    admin = sim.rabbitmq.channel()
    admin.queue_declare("work")
    sim.rabbitmq.set_memory_high_watermark(messages=watermark)
    publisher = sim.rabbitmq.connection()
    consumer = sim.rabbitmq.connection()
    return sim, events, publisher.channel(), consumer.channel()


def test_alarm_blocks_the_publishing_connection_not_the_consumer():
    sim, events, pub, con = world()
    notices = []
    pub.connection.add_on_connection_blocked_callback(
        lambda connection, reason: notices.append(("blocked", connection.number, reason)))
    con.connection.add_on_connection_blocked_callback(
        lambda connection, reason: notices.append(("blocked", connection.number, reason)))
    for n in range(3):
        pub.basic_publish("", "work", f"m{n}")
    sim.advance(0)
    got = []
    con.basic_consume("work", lambda ch, method, props, body: got.append(body), auto_ack=True)
    sim.advance(0)
    assert trace(events, FLOW) == [
        ("alarm-raised", None, None),             # 3 messages > watermark 2
        ("connection-blocked", None, 2),          # the publisher's connection only
        ("alarm-cleared", None, None),            # the consumer drained the queue
        ("connection-unblocked", None, 2),
    ]
    assert notices == [("blocked", 2, "low on memory")]
    assert got == ["m0", "m1", "m2"]
    assert not pub.connection.is_blocked and not con.connection.is_blocked


def test_held_publishes_arrive_in_order_after_unblock():
    sim, events, pub, con = world()
    for n in range(6):
        pub.basic_publish("", "work", f"m{n}")
    assert pub.connection.is_blocked
    assert sim.rabbitmq.queues["work"]["ready"] == 3  # m3..m5 are held, not in the queue
    assert conservation_violations(events, sim.locations()) == []
    got = []
    con.basic_consume("work", lambda ch, method, props, body: got.append(body), auto_ack=True)
    sim.advance(0)
    assert trace(events, FLOW | {"enqueued"}) == [
        ("enqueued", "m1", None), ("enqueued", "m2", None), ("enqueued", "m3", None),
        ("alarm-raised", None, None), ("connection-blocked", None, 2),
        ("publish-held", "m4", None), ("publish-held", "m5", None), ("publish-held", "m6", None),
        ("alarm-cleared", None, None), ("connection-unblocked", None, 2),
        ("enqueued", "m4", None), ("enqueued", "m5", None), ("enqueued", "m6", None),
        # the released publishes fill memory again, until the consumer drains them
        ("alarm-raised", None, None), ("connection-blocked", None, 2),
        ("alarm-cleared", None, None), ("connection-unblocked", None, 2),
    ]
    assert got == [f"m{n}" for n in range(6)]
    assert conservation_violations(events, sim.locations()) == []


def test_a_connection_that_has_not_published_is_blocked_by_its_first_publish():
    sim, events, pub, con = world(watermark=1)
    for n in range(2):
        pub.basic_publish("", "work", f"m{n}")
    late = sim.rabbitmq.connection().channel()
    held = late.basic_publish("", "work", "late")
    assert trace(events, FLOW) == [
        ("alarm-raised", None, None), ("connection-blocked", None, 2),
        ("connection-blocked", None, 4), ("publish-held", held, None)]


def test_a_held_publish_whose_channel_closes_is_dropped_not_silently_lost():
    sim, events, pub, con = world(watermark=1)
    for n in range(3):
        pub.basic_publish("", "work", f"m{n}")
    pub.close()
    assert [(e.kind, e.message_id) for e in events if e.kind == "dropped"] == [("dropped", "m3")]
    assert conservation_violations(events, sim.locations()) == []


def test_removing_the_watermark_clears_the_alarm_and_releases_the_publishes():
    sim, events, pub, con = world(watermark=1)
    for n in range(3):
        pub.basic_publish("", "work", f"m{n}")
    sim.rabbitmq.set_memory_high_watermark()
    assert trace(events, {"alarm-cleared", "connection-unblocked", "enqueued"})[-3:] == [
        ("alarm-cleared", None, None), ("connection-unblocked", None, 2),
        ("enqueued", "m3", None)]
    assert sim.rabbitmq.queues["work"]["ready"] == 3


def test_a_bytes_watermark_counts_message_bodies():
    sim, events, pub, con = world(watermark=None)
    sim.rabbitmq.set_memory_high_watermark(bytes=10)
    pub.basic_publish("", "work", "x" * 8)
    pub.basic_publish("", "work", "x" * 8)
    assert sim.rabbitmq.memory_use() == {"messages": 2, "bytes": 16}
    assert [e.kind for e in events if e.kind in FLOW] == ["alarm-raised", "connection-blocked"]


@pytest.mark.parametrize("bad", [0, -1, 1.5, "3", True])
def test_a_bad_watermark_is_refused_and_changes_nothing(bad):
    sim = Simulation()
    with pytest.raises(InvalidArgument, match="whole number >= 1"):
        sim.rabbitmq.set_memory_high_watermark(messages=bad)
    assert sim.rabbitmq.watermark is None
