"""Short and long polling in virtual time (SQS Developer Guide, "Amazon SQS short and long
polling": a long poll waits up to 20 s and returns as soon as a message is available)."""

import pytest

from engine import Simulation
from engine.sqs.errors import InvalidParameterValue


def make(attributes=None):
    sim = Simulation()
    url = sim.sqs.create_queue(QueueName="jobs", Attributes=attributes)["QueueUrl"]
    return sim, sim.sqs, url


def poll(sim, sqs, url, **kwargs):
    """Start an asynchronous receive; the returned list gets (time, bodies) when answered."""
    answers = []
    sqs.receive_message_async(
        lambda r: answers.append((sim.now, [m["Body"] for m in r.get("Messages", [])])),
        QueueUrl=url, **kwargs)
    return answers


def test_synchronous_receive_with_a_wait_returns_at_once():
    sim, sqs, url = make()
    assert sqs.receive_message(QueueUrl=url, WaitTimeSeconds=20) == {}
    assert sim.now == 0


def test_long_poll_answers_as_soon_as_a_message_is_sent():
    sim, sqs, url = make()
    answers = poll(sim, sqs, url, WaitTimeSeconds=20)
    sim.advance(7)
    assert answers == []
    sqs.send_message(QueueUrl=url, MessageBody="job")
    sim.advance(0)
    assert answers == [(7.0, ["job"])]


def test_long_poll_answers_empty_when_the_wait_ends():
    sim, sqs, url = make()
    answers = poll(sim, sqs, url, WaitTimeSeconds=20)
    sim.advance(19.999)
    assert answers == []
    sim.advance(0.001)
    assert answers == [(20.0, [])]


def test_long_poll_answers_when_a_visibility_timeout_expires():
    sim, sqs, url = make({"VisibilityTimeout": "5"})
    sqs.send_message(QueueUrl=url, MessageBody="job")
    sqs.receive_message(QueueUrl=url)
    answers = poll(sim, sqs, url, WaitTimeSeconds=20)
    sim.advance(10)
    assert answers == [(5.0, ["job"])]


def test_long_poll_answers_when_a_delay_ends():
    sim, sqs, url = make()
    sqs.send_message(QueueUrl=url, MessageBody="later", DelaySeconds=12)
    answers = poll(sim, sqs, url, WaitTimeSeconds=20)
    sim.advance(20)
    assert answers == [(12.0, ["later"])]


def test_queue_receive_wait_time_makes_every_receive_a_long_poll():
    sim, sqs, url = make({"ReceiveMessageWaitTimeSeconds": "20"})
    answers = poll(sim, sqs, url)
    sim.advance(20)
    assert answers == [(20.0, [])]


def test_short_poll_answers_at_the_same_instant():
    sim, sqs, url = make()
    answers = poll(sim, sqs, url, WaitTimeSeconds=0)
    sim.advance(0)
    assert answers == [(0.0, [])]


def test_waiting_polls_are_served_first_come_first_served():
    sim, sqs, url = make()
    first = poll(sim, sqs, url, WaitTimeSeconds=20, consumer="first")
    second = poll(sim, sqs, url, WaitTimeSeconds=20, consumer="second")
    sim.advance(1)
    sqs.send_message(QueueUrl=url, MessageBody="a")
    sim.advance(1)
    sqs.send_message(QueueUrl=url, MessageBody="b")
    sim.advance(0)
    assert (first, second) == ([(1.0, ["a"])], [(2.0, ["b"])])


def test_wait_time_above_20_seconds_is_refused_at_once():
    sim, sqs, url = make()
    with pytest.raises(InvalidParameterValue):
        sqs.receive_message_async(lambda r: None, QueueUrl=url, WaitTimeSeconds=21)
    with pytest.raises(InvalidParameterValue):
        sqs.receive_message(QueueUrl=url, WaitTimeSeconds=21)


def test_deleting_the_queue_answers_its_waiting_polls_empty():
    sim, sqs, url = make()
    answers = poll(sim, sqs, url, WaitTimeSeconds=20)
    sim.advance(3)
    sqs.delete_queue(QueueUrl=url)
    assert answers == [(3.0, [])]
    sim.advance(30)
    assert answers == [(3.0, [])]


def test_a_consumer_node_holds_what_it_received():
    sim, sqs, url = make()
    sqs.send_message(QueueUrl=url, MessageBody="job")
    poll(sim, sqs, url, WaitTimeSeconds=5, consumer="worker-1")
    sim.advance(0)
    snapshot = sim.snapshot()
    held = snapshot["contents"]["sqs:consumer:worker-1"]["messages"]
    assert [(m["body"], m["state"], m["visible_at"]) for m in held] == [("job", "in-flight", 30)]
    assert held[0]["receipt_handle"].startswith("jobs/")
    edges = {(e["source"], e["target"], e["kind"]) for e in snapshot["topology"]["edges"]}
    assert ("sqs:queue:jobs", "sqs:consumer:worker-1", "receives") in edges
