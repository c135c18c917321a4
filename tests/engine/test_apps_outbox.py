"""The transactional outbox against a naive dual write (microservices.io, "Pattern:
Transactional outbox"; AWS Prescriptive Guidance, "Transactional outbox pattern"): a crash
between the database commit and the publish loses nothing with an outbox, loses the event
with commit-first, and sends an event for a row never committed with publish-first."""

import pytest

from engine import Simulation
from engine.apps import kinds
from engine.apps.outbox import OutboxService
from engine.errors import InvalidArgument


def setup(mode, **options):
    sim = Simulation(seed=4)
    events = []
    sim.subscribe(events.append)
    url = sim.sqs.create_queue(QueueName="orders")["QueueUrl"]
    app = OutboxService(sim, "shop", mode=mode, queue="orders", **options)
    return sim, app, url, events


def keys_in(sim, url):
    answer = sim.sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10,
                                     MessageAttributeNames=["All"])
    return [m["MessageAttributes"][kinds.KEY_HEADER]["StringValue"]
            for m in answer.get("Messages", [])]


def test_outbox_survives_a_crash_between_commit_and_publish():
    sim, app, url, events = setup("outbox")
    app.place("order-1")
    sim.advance(0.5)  # committed; the relay runs every second: not yet published
    app.crash()
    sim.advance(10)
    assert app.rows == {"order-1": "shop order-1"} and keys_in(sim, url) == []
    app.restart()
    sim.advance(1)
    assert keys_in(sim, url) == ["order-1"]
    assert [r.published for r in app.outbox] == [True]


def test_relay_crash_between_publish_and_mark_publishes_again_so_consumers_dedupe():
    sim, app, url, events = setup("outbox", step=0.5, relay_interval=1.0)
    app.place("order-1")
    sim.advance(1.2)  # the relay published at 1.0; it marks the row at 1.5
    app.crash()
    app.restart()
    sim.advance(1)
    assert app.published == ["order-1", "order-1"]
    assert sorted(keys_in(sim, url)) == ["order-1", "order-1"]  # same key: dedupe by it


def test_commit_first_dual_write_loses_the_event_on_a_crash():
    sim, app, url, events = setup("commit-first")
    app.place("order-1")
    sim.advance(0.2)
    app.crash()
    app.restart()
    sim.advance(5)
    assert "order-1" in app.rows and keys_in(sim, url) == []
    assert [e.details["key"] for e in events if e.kind == kinds.WORK_LOST] == ["order-1"]


def test_publish_first_dual_write_sends_an_event_for_a_row_never_committed():
    sim, app, url, events = setup("publish-first")
    app.place("order-1")
    app.crash()
    sim.advance(5)
    assert app.rows == {} and keys_in(sim, url) == ["order-1"]
    assert [e.kind for e in events if e.kind == kinds.ORPHAN_EVENT] == [kinds.ORPHAN_EVENT]


def test_without_crashes_every_mode_commits_and_publishes_each_row_once():
    for mode in ("outbox", "commit-first", "publish-first"):
        sim, app, url, _ = setup(mode)
        for n in range(3):
            app.place(f"order-{n}")
        sim.advance(5)
        assert sorted(app.rows) == ["order-0", "order-1", "order-2"]
        assert sorted(keys_in(sim, url)) == ["order-0", "order-1", "order-2"]


def test_outbox_to_an_sns_topic_and_its_drawing():
    sim = Simulation()
    topic = sim.sns.create_topic(Name="orders")["TopicArn"]
    url = sim.sqs.create_queue(QueueName="billing")["QueueUrl"]
    arn = sim.sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])
    sim.sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=arn["Attributes"]["QueueArn"],
                      Attributes={"RawMessageDelivery": "true"})
    app = OutboxService(sim, "shop", topic="orders")
    app.place("order-1")
    sim.advance(2)
    assert keys_in(sim, url) == ["order-1"]
    topology = sim.topology()
    assert any(n["id"] == "sqs:outbox:shop" for n in topology["nodes"])
    assert any(e["source"] == "sqs:outbox:shop" and e["target"] == "sqs:topic:orders"
               for e in topology["edges"])
    assert sim.snapshot()["contents"]["sqs:outbox:shop"]["counters"]["rows"] == 1


@pytest.mark.parametrize("options", [
    {"mode": "twice"}, {"queue": None}, {"step": 0}, {"relay_interval": -1},
])
def test_bad_settings_are_refused(options):
    sim = Simulation()
    with pytest.raises(InvalidArgument):
        OutboxService(sim, "shop", **{"queue": "orders", **options})
