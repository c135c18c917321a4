"""Durability in the RabbitMQ playground, as a learner drives it (mqlab/commands/rabbitmq.py):
a broker restart says what survived, and a subscriber's exclusive server-named queue vanishes
with it. Rules and sources: tests/engine/test_rabbitmq_durability.py (RabbitMQ's "Queues"
guide, Durability / Exclusive Queues / Server-named Queues, and its "Reliability Guide")."""

from __future__ import annotations

from mqlab.presets import find
from mqlab.rooms import Room, advance_to
from tests.web.playground import follow, fresh_snapshot, refused, run


def room(preset: str = "rabbitmq-fanout") -> Room:
    return Room("t", find(preset), seed=1, owner="me")


def subscriber_queue(lab: Room, name: str) -> str:
    return lab.lab.consumers[name].queue


def test_restart_says_what_survived_and_what_was_lost():
    lab = Room("t", find("rabbitmq-work-queue"), seed=1, owner="me")
    run(lab, "declare_queue", name="scratch")
    run(lab, "publish", routing_key="scratch", body="gone")
    run(lab, "publish", routing_key="tasks", count=2, persistent=True)
    run(lab, "publish", routing_key="tasks", count=3)
    said = run(lab, "restart_broker")
    assert said.startswith("broker restarted: kept 'tasks' (2 message(s)); transient or "
                           "exclusive queue(s) gone: 'scratch'; ")
    assert said.endswith("transient message(s) lost; every client was disconnected")
    restarted = [e for e in lab.history if e.kind == "broker-restarted"]
    assert len(restarted) == 1 and restarted[0].details["kept_queues"] == {"tasks": 2}


def test_a_subscribers_exclusive_server_named_queue_vanishes_with_it():
    lab = room()
    said = run(lab, "add_subscriber", name="live", exchange="notifications",
               processing_time=5)
    queue = subscriber_queue(lab, "live")
    assert queue.startswith("amq.gen-")
    assert said == (f"subscriber 'live' declared exclusive queue {queue!r} bound to "
                    "'notifications'; the queue is deleted when the subscriber disconnects")
    run(lab, "publish", exchange="notifications", body="hello")
    advance_to(lab.sim, lab.sim.now + 0.1)
    assert lab.sim.rabbitmq.queues[queue]["unacked"] == 1
    run(lab, "crash_consumer", consumer="live")
    assert queue not in lab.sim.rabbitmq.queues
    deleted = [e for e in lab.history if e.kind == "deleted"]
    # the copy it had not acked yet goes with the queue (the other copies are elsewhere)
    assert [e.source for e in deleted] == [f"rabbitmq:queue:{queue}"]


def test_a_subscriber_to_a_missing_exchange_is_refused_and_leaves_no_queue():
    lab = room()
    before = set(lab.sim.rabbitmq.queues)
    outcome = refused(lab, "add_subscriber", name="lost", exchange="nowhere")
    assert "nowhere" in outcome.message
    assert set(lab.sim.rabbitmq.queues) == before
    assert "lost" not in lab.lab.live_consumers()


def test_a_clients_picture_kept_by_batches_equals_a_fresh_snapshot_through_a_restart():
    lab = room()
    lesson = [("add_subscriber", {"name": "s", "exchange": "notifications"}),
              ("publish", {"exchange": "notifications", "count": 3, "persistent": True}),
              ("wait", 1), ("restart_broker", {}), ("wait", 1)]
    assert follow(lab, lesson, strict=True).matches(fresh_snapshot(lab), clock=False)
