"""What the playground draws: nodes, edges, node contents, event details, topology events,
and the in-flight quota (SQS Developer Guide, "Amazon SQS standard queue quotas", "FIFO queue
quotas")."""

import json

import pytest

import engine.sqs.model
from engine import Simulation
from engine.events import TOPOLOGY_KINDS as SHARED_TOPOLOGY_KINDS
from engine.sqs import TOPOLOGY_KINDS
from engine.sqs.errors import OverLimit
from engine.sqs.queue import IN_FLIGHT_LIMIT

ARN = "arn:aws:sqs:us-east-1:000000000000:"


def make():
    sim = Simulation()
    events = []
    sim.subscribe(events.append)
    dlq = sim.sqs.create_queue(QueueName="dlq")["QueueUrl"]
    url = sim.sqs.create_queue(QueueName="orders", Attributes={"RedrivePolicy": json.dumps(
        {"deadLetterTargetArn": ARN + "dlq", "maxReceiveCount": 3})})["QueueUrl"]
    return sim, sim.sqs, url, dlq, events


def test_topology_has_producers_queues_consumers_and_the_dead_letter_edge():
    sim, sqs, url, dlq, _ = make()
    sqs.receive_message(QueueUrl=url, consumer="billing")
    topology = sim.topology()
    nodes = {(n["id"], n["kind"], n["column"]) for n in topology["nodes"]}
    assert nodes == {("sqs:producer:producers", "producer", 0), ("sqs:queue:dlq", "queue", 2),
                     ("sqs:queue:orders", "queue", 2), ("sqs:consumer:billing", "consumer", 3)}
    edges = {(e["source"], e["target"], e["kind"], e["label"]) for e in topology["edges"]}
    assert ("sqs:queue:orders", "sqs:queue:dlq", "dead-letter", "maxReceiveCount 3") in edges
    assert ("sqs:queue:orders", "sqs:consumer:billing", "receives", "") in edges


def test_every_topology_change_emits_a_topology_kind():
    sim, sqs, url, dlq, events = make()
    sqs.receive_message(QueueUrl=url, consumer="billing")
    sqs.set_queue_attributes(QueueUrl=url, Attributes={"RedrivePolicy": ""})
    sqs.delete_queue(QueueUrl=dlq)
    drawn = SHARED_TOPOLOGY_KINDS | TOPOLOGY_KINDS
    assert [e.kind for e in events if e.kind in drawn] == [
        "declared", "declared", "consumer-added", "queue-updated", "removed"]
    assert [e["kind"] for e in sim.topology()["edges"]] == ["sends", "receives"]


def test_contents_show_states_countdowns_receive_counts_and_counters():
    sim, sqs, url, dlq, _ = make()
    sqs.send_message(QueueUrl=url, MessageBody="a", MessageAttributes={
        "kind": {"DataType": "String", "StringValue": "refund"}})
    sqs.send_message(QueueUrl=url, MessageBody="b", DelaySeconds=60)
    sqs.send_message(QueueUrl=url, MessageBody="c")
    sqs.receive_message(QueueUrl=url, VisibilityTimeout=40)
    sim.advance(10)
    node = sim.snapshot()["contents"]["sqs:queue:orders"]
    assert [(m["body"], m["state"], m.get("visible_at"), m["receive_count"])
            for m in node["messages"]] == [("a", "in-flight", 40, 1), ("b", "delayed", 60, 0),
                                          ("c", "visible", None, 0)]
    assert node["messages"][0]["attributes"] == {"kind": "refund"}
    assert node["counters"] == {"ApproximateNumberOfMessages": 1,
                                "ApproximateNumberOfMessagesNotVisible": 1,
                                "ApproximateNumberOfMessagesDelayed": 1, "WaitingReceives": 0}
    json.dumps(sim.snapshot())


def test_contents_list_at_most_100_messages_but_count_them_all():
    sim, sqs, url, dlq, _ = make()
    for i in range(150):
        sqs.send_message(QueueUrl=url, MessageBody=f"m{i}")
    node = sim.snapshot()["contents"]["sqs:queue:orders"]
    assert len(node["messages"]) == 100
    assert node["messages"][0]["body"] == "m0"
    assert node["counters"]["ApproximateNumberOfMessages"] == 150


def test_movement_events_carry_what_an_inspector_shows():
    sim, sqs, url, dlq, events = make()
    sqs.send_message(QueueUrl=url, MessageBody="x" * 300, MessageAttributes={
        "kind": {"DataType": "String", "StringValue": "refund"}})
    sqs.receive_message(QueueUrl=url)
    sent, received = events[-2], events[-1]
    assert (sent.kind, sent.source, sent.target) == (
        "sent", "sqs:producer:producers", "sqs:queue:orders")
    assert len(sent.details["body"]) == 200
    assert sent.details["attributes"] == {"kind": "refund"}
    assert received.details["receive_count"] == 1
    assert received.details["visible_at"] == 30
    assert received.details["receipt_handle"].startswith("orders/")


def test_exceptions_are_reachable_like_boto3_client_exceptions():
    sim = Simulation()
    with pytest.raises(sim.sqs.exceptions.QueueDoesNotExist):
        sim.sqs.get_queue_url(QueueName="missing")


def test_standard_short_poll_past_the_in_flight_quota_is_over_limit(monkeypatch):
    assert IN_FLIGHT_LIMIT == 120_000  # "approximately 120,000 in flight messages"
    monkeypatch.setattr(engine.sqs.model, "IN_FLIGHT_LIMIT", 2)
    sim, sqs, url, dlq, _ = make()
    for i in range(3):
        sqs.send_message(QueueUrl=url, MessageBody=str(i))
    sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=2)
    with pytest.raises(OverLimit):
        sqs.receive_message(QueueUrl=url)
    assert sqs.receive_message(QueueUrl=url, WaitTimeSeconds=5) == {}  # long poll: no error


def test_fifo_past_the_in_flight_quota_returns_nothing_without_error(monkeypatch):
    monkeypatch.setattr(engine.sqs.model, "IN_FLIGHT_LIMIT", 1)
    sim = Simulation()
    url = sim.sqs.create_queue(QueueName="q.fifo", Attributes={
        "FifoQueue": "true", "ContentBasedDeduplication": "true"})["QueueUrl"]
    for group in ("a", "b"):
        sim.sqs.send_message(QueueUrl=url, MessageBody=group, MessageGroupId=group)
    sim.sqs.receive_message(QueueUrl=url)
    assert sim.sqs.receive_message(QueueUrl=url) == {}
