"""What survives a RabbitMQ broker restart, and what an exclusive queue loses, made visible.

Sources, quoted by section:
- RabbitMQ "Queues" guide (rabbitmq.com/docs/queues): "Durability" (durable queues are
  recovered on node boot, transient ones deleted; messages published as transient are
  discarded during recovery even in a durable queue), "Exclusive Queues" (used by one
  connection only and deleted when that connection closes), "Server-named Queues" (a
  ``queue.declare`` with an empty name gets a generated ``amq.gen-...`` name).
- RabbitMQ "Reliability Guide" (rabbitmq.com/docs/reliability), "At the Producer" / "At the
  Broker": to survive a restart, messages must be persistent (delivery_mode 2) in durable
  queues.
- "Publishers" guide, "Unroutable Message Handling": a message no queue takes is dropped
  (when not mandatory).
"""

from __future__ import annotations

from engine import Simulation
from engine.invariants import conservation_violations
from engine.rabbitmq import BasicProperties

from .test_rabbitmq_helpers import moves, record

PERSISTENT = BasicProperties(delivery_mode=2)


def test_restart_reports_and_emits_what_survived_and_what_was_lost():
    """"Queues" guide, Durability; "Reliability Guide": only persistent messages in durable
    queues come back; the transient queue, the transient message in the durable queue and
    the exclusive queue of the dropped connection are gone, each with an event saying why."""
    sim = Simulation(seed=1)
    events = record(sim)
    admin = sim.rabbitmq.channel()
    admin.queue_declare("orders", durable=True)
    admin.queue_declare("cache")
    admin.basic_publish("", "orders", b"kept", PERSISTENT)
    admin.basic_publish("", "orders", b"transient")
    admin.basic_publish("", "cache", b"persistent, but the queue is transient", PERSISTENT)
    subscriber = sim.rabbitmq.channel()
    private = subscriber.queue_declare("", exclusive=True)

    report = sim.rabbitmq.restart()

    assert report.kept_queues == {"orders": 1}
    assert report.lost_queues == ("cache",)
    assert report.exclusive_queues == (private,)
    assert report.lost_messages == 2
    reasons = {e.message_id: e.reason for e in events if e.kind == "lost"}
    assert reasons == {
        "m2": "broker restarted: transient message (delivery_mode 1) in 'orders' is gone",
        "m3": "broker restarted: transient queue 'cache' is gone"}
    removed = [e.reason for e in events if e.kind == "removed"]
    assert f"exclusive queue '{private}' deleted: its connection closed" in removed
    closing = events[-1]
    assert closing.kind == "broker-restarted"
    assert closing.reason == (f"broker restarted: kept 'orders' (1 message(s)); transient or "
                              f"exclusive queue(s) gone: 'cache', '{private}'; 2 transient "
                              "message(s) lost")
    assert closing.details["kept_queues"] == {"orders": 1}
    assert not conservation_violations(events, sim.locations())


def test_a_persistent_message_in_a_durable_queue_survives_a_restart_as_redelivered_if_unacked():
    """"Reliability Guide": an unacknowledged delivery is requeued when its connection is
    lost, and a persistent one survives the restart, redelivered."""
    sim = Simulation()
    ch = sim.rabbitmq.channel()
    ch.queue_declare("jobs", durable=True)
    ch.basic_publish("", "jobs", b"job", PERSISTENT)
    ch.basic_consume("jobs", lambda *a: None)
    sim.advance(0)
    report = sim.rabbitmq.restart()
    assert report.kept_queues == {"jobs": 1} and report.lost_messages == 0
    method, _, body = sim.rabbitmq.channel().basic_get("jobs")
    assert (body, method.redelivered) == (b"job", True)


def test_an_exclusive_server_named_queue_vanishes_with_its_connection_and_misses_what_follows():
    """"Queues" guide, Server-named Queues and Exclusive Queues; "Publishers" guide,
    unroutable messages: a pub/sub subscriber's private queue holds what was published while
    it was connected; when the connection closes the queue and its messages are deleted, a
    message published while no subscriber is connected is unroutable and dropped, and a
    reconnecting subscriber gets a new, empty queue under a new name."""
    sim = Simulation(seed=2)
    events = record(sim)
    publisher = sim.rabbitmq.channel()
    publisher.exchange_declare("news", "fanout")
    connection = sim.rabbitmq.connection()
    subscriber = connection.channel()
    first = subscriber.queue_declare("", exclusive=True)
    subscriber.queue_bind(first, "news")
    publisher.basic_publish("news", "", b"while connected")
    assert first.startswith("amq.gen-")

    connection.close()
    assert first not in sim.rabbitmq.queues
    publisher.basic_publish("news", "", b"while offline")
    again = sim.rabbitmq.channel()
    second = again.queue_declare("", exclusive=True)
    again.queue_bind(second, "news")

    assert second != first and sim.rabbitmq.queues[second]["ready"] == 0
    assert moves(events, {"deleted", "dropped"}) == [
        ("deleted", "m1", first, None), ("dropped", "m2", "news", None)]
    assert not conservation_violations(events, sim.locations())
