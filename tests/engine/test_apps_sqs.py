"""Simulated apps on the SQS model: the receive loop, deletes, visibility-timeout
redelivery, backoff by ChangeMessageVisibility, the redrive policy's DLQ, FIFO sends."""

import json

from engine import Simulation
from engine.apps import kinds
from engine.apps.adapters.sqs import SqsConsumer, SqsProducer, queue_depth
from engine.apps.backoff import Backoff
from engine.apps.consumer import Consumer, FailurePolicy
from engine.apps.durations import duration_from_spec
from engine.apps.failures import FailureRule
from engine.apps.producer import Producer


def create(sim, name, attributes=None, dlq=None, max_receive_count=3):
    attributes = dict(attributes or {})
    if dlq is not None:
        url = sim.sqs.create_queue(QueueName=dlq)["QueueUrl"]
        arn = sim.sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])
        attributes["RedrivePolicy"] = json.dumps({
            "deadLetterTargetArn": arn["Attributes"]["QueueArn"],
            "maxReceiveCount": max_receive_count})
    sim.sqs.create_queue(QueueName=name, Attributes=attributes)


def make_consumer(sim, name="worker", queue="jobs", *, processing=1.0, wait=20, **settings):
    adapter = SqsConsumer(sim, name, queue, wait=wait)
    return Consumer(sim, name, adapter, processing=duration_from_spec(processing), **settings)


def send(sim, count, queue="jobs", **settings):
    app = Producer(sim, "shop", SqsProducer(sim, "shop", queue), body="job-{n}", **settings)
    for _ in range(count):
        app.send()
    app.flush()
    return app


def test_long_poll_receives_as_soon_as_a_message_is_sent_and_deletes_after_the_work():
    sim = Simulation(seed=1)
    create(sim, "jobs")
    worker = make_consumer(sim, processing=2.0)
    worker.start()
    sim.advance(7)  # the consumer is waiting in a long poll
    send(sim, 1)
    sim.advance(1)
    assert worker.received == 1 and worker.ledger.total == 0
    sim.advance(1.5)
    assert worker.ledger.performed == {"shop-1": 1}
    counts = sim.sqs.get_queue_attributes(QueueUrl=sim.sqs.get_queue_url(QueueName="jobs")[
        "QueueUrl"], AttributeNames=["All"])["Attributes"]
    assert counts["ApproximateNumberOfMessages"] == "0"
    assert counts["ApproximateNumberOfMessagesNotVisible"] == "0"


def test_work_longer_than_the_visibility_timeout_is_done_twice():
    sim = Simulation(seed=1)
    create(sim, "jobs", {"VisibilityTimeout": "5"})
    a = make_consumer(sim, "a", processing=8.0)
    b = make_consumer(sim, "b", processing=8.0, ledger=a.ledger)
    a.start()
    b.start()
    send(sim, 1)
    sim.advance(30)
    assert a.ledger.performed["shop-1"] >= 2


def test_retry_hides_the_message_for_the_backoff_then_the_redrive_policy_dead_letters_it():
    sim = Simulation(seed=1)
    create(sim, "jobs", dlq="jobs-dlq", max_receive_count=3)
    retries = []
    sim.subscribe(lambda e: retries.append(e.at) if e.kind == kinds.RETRY_SCHEDULED else None)
    worker = make_consumer(sim, processing=0.5, failures=FailureRule(rate=1.0),
                           policy=FailurePolicy("retry", Backoff(2, 2, 60, "none"), 3))
    worker.start()
    send(sim, 1)
    sim.advance(30)
    # received at 0, fails at 0.5, invisible 2 s; again at 2.5 -> 3.0, invisible 4 s;
    # third receive at 7 fails at 7.5: given up, visibility 0, the next receive moves it.
    assert retries == [0.5, 3.0]
    assert worker.failed == 3
    assert queue_depth(sim, "jobs-dlq") == 1
    assert queue_depth(sim, "jobs") == 0


def test_at_most_once_deletes_on_receipt_so_a_crash_loses_the_message():
    sim = Simulation(seed=1)
    create(sim, "jobs", {"VisibilityTimeout": "5"})
    worker = make_consumer(sim, guarantee="at-most-once", processing=3.0)
    worker.start()
    send(sim, 1)
    sim.advance(1)
    worker.crash()
    worker.restart()
    sim.advance(20)
    assert worker.ledger.lost == {"shop-1"}
    assert worker.received == 1


def test_at_least_once_crash_leaves_the_message_in_flight_until_its_timeout():
    sim = Simulation(seed=1)
    create(sim, "jobs", {"VisibilityTimeout": "10"})
    worker = make_consumer(sim, processing=3.0)
    worker.start()
    send(sim, 1)
    sim.advance(1)
    worker.crash()
    worker.restart()
    sim.advance(8)
    assert worker.received == 1  # still invisible
    sim.advance(10)
    assert worker.received == 2
    assert worker.ledger.performed == {"shop-1": 1}


def test_fifo_sends_group_by_key_and_a_repeated_dedup_id_is_delivered_once():
    sim = Simulation(seed=1)
    create(sim, "jobs.fifo", {"FifoQueue": "true"})
    app = Producer(sim, "shop", SqsProducer(sim, "shop", "jobs.fifo"))
    app.send("deposit", key="alice", options={"dedup_id": "d-1"})
    app.send("deposit", key="alice", options={"dedup_id": "d-1"})
    app.send("withdraw", key="alice")
    worker = make_consumer(sim, queue="jobs.fifo", processing=0.1)
    worker.start()
    sim.advance(5)
    assert app.accepted == 3  # SQS answers the duplicate with success
    assert worker.received == 2
    assert list(worker.ledger.performed) == ["shop-1", "shop-3"]


def test_a_batch_of_more_than_ten_is_split_into_sqs_sized_batches_and_all_accepted():
    sim = Simulation(seed=1)
    create(sim, "jobs")
    calls = []
    sim.subscribe(lambda e: calls.append(e) if e.kind == "sent" else None)
    app = Producer(sim, "shop", SqsProducer(sim, "shop", "jobs"), batch=25)
    for _ in range(25):
        app.send()
    assert app.accepted == 25 and len(calls) == 25
    assert queue_depth(sim, "jobs") == 25
