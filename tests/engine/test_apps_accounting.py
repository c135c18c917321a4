"""Invariants of the delivery guarantees, on each broker, whatever the failures and crashes
(Hypothesis):

* at-least-once loses nothing: every message ends with a side effect or in the DLQ;
* effectively-once also never performs a side effect twice;
* at-most-once never performs one twice, and every message is either done or counted lost;
* the apps never break the broker's own conservation of messages.
"""

import json

from hypothesis import given, settings
from hypothesis import strategies as st

from engine import Simulation
from engine.apps import kinds
from engine.apps.adapters.kafka import KafkaConsumerAdapter, KafkaProducerAdapter
from engine.apps.adapters.rabbitmq import RabbitConsumer, RabbitProducer
from engine.apps.adapters.sqs import SqsConsumer, SqsProducer
from engine.apps.backoff import Backoff
from engine.apps.consumer import Consumer, FailurePolicy
from engine.apps.durations import duration_from_spec
from engine.apps.failures import FailureRule
from engine.apps.producer import Producer
from engine.events import TERMINAL
from engine.invariants import budget_violations, conservation_violations
from engine.kafka.events import TERMINAL_KINDS as KAFKA_TERMINAL
from engine.sqs import TERMINAL as SQS_TERMINAL

COUNT = 12

runs = st.fixed_dictionaries({
    "broker": st.sampled_from(["rabbitmq", "sqs", "kafka"]),
    "seed": st.integers(0, 10_000),
    "guarantee": st.sampled_from(["at-most-once", "at-least-once", "effectively-once"]),
    "failure_rate": st.sampled_from([0.0, 0.2, 0.5]),
    "on_failure": st.sampled_from(["requeue", "retry"]),
    "side_effect_at": st.sampled_from([0.3, 0.7, 1.0]),
    "crashes": st.lists(st.floats(0.1, 30), max_size=4),
})


def rabbitmq_world(sim, retry_levels):
    channel = sim.rabbitmq.channel()
    channel.exchange_declare("dlx", "fanout")
    channel.queue_declare("work", arguments={"x-dead-letter-exchange": "dlx"})
    channel.queue_declare("dlq")
    channel.queue_bind("dlq", "dlx")
    adapter = RabbitConsumer(sim, "worker", "work", prefetch=3, retry_levels=retry_levels)

    def dead():
        contents = sim.snapshot()["contents"].get("rabbitmq:queue:dlq", {"messages": []})
        return {m["properties"]["message_id"] for m in contents["messages"]}

    return adapter, RabbitProducer(sim, "shop", routing_key="work"), dead


def sqs_world(sim, retry_levels):
    dlq = sim.sqs.create_queue(QueueName="dlq")["QueueUrl"]
    arn = sim.sqs.get_queue_attributes(QueueUrl=dlq, AttributeNames=["QueueArn"])
    sim.sqs.create_queue(QueueName="work", Attributes={
        "VisibilityTimeout": "5", "RedrivePolicy": json.dumps({
            "deadLetterTargetArn": arn["Attributes"]["QueueArn"], "maxReceiveCount": 3})})

    def dead():
        keys = set()
        while messages := sim.sqs.receive_message(QueueUrl=dlq, MaxNumberOfMessages=10,
                                                  MessageAttributeNames=["All"]).get("Messages"):
            keys |= {m["MessageAttributes"][kinds.KEY_HEADER]["StringValue"] for m in messages}
        return keys

    return SqsConsumer(sim, "worker", "work", batch=3), SqsProducer(sim, "shop", "work"), dead


def kafka_world(sim, retry_levels):
    sim.kafka.create_topic("work", num_partitions=2)
    adapter = KafkaConsumerAdapter(sim, "worker", "work", "g", auto_offset_reset="earliest",
                                   max_records=3,
                                   retry_levels=retry_levels, dead_letter=retry_levels > 0)

    def dead():
        topic = sim.kafka.topics.get("work-dlt")
        records = [r for p in (topic.partitions if topic else ())
                   for r in p.log.read(p.log.log_start, p.high_watermark, 1000)]
        return {dict(r.headers)[kinds.KEY_HEADER] for r in records}

    return adapter, KafkaProducerAdapter(sim, "shop", "work"), dead


WORLDS = {"rabbitmq": rabbitmq_world, "sqs": sqs_world, "kafka": kafka_world}
ENDS = {"rabbitmq": TERMINAL, "sqs": SQS_TERMINAL, "kafka": KAFKA_TERMINAL}


def play(params):
    sim = Simulation(seed=params["seed"])
    events = []
    sim.subscribe(events.append)
    retrying = params["on_failure"] == "retry"
    adapter, producer_adapter, dead = WORLDS[params["broker"]](sim, 2 if retrying else 0)
    policy = FailurePolicy(params["on_failure"], Backoff(0.5, 2, 4, "full"), 3)
    worker = Consumer(sim, "worker", adapter, guarantee=params["guarantee"],
                      processing=duration_from_spec({"kind": "exponential", "mean": 0.5}),
                      failures=FailureRule(rate=params["failure_rate"]), policy=policy,
                      side_effect_at=params["side_effect_at"])
    worker.start()
    producer = Producer(sim, "shop", producer_adapter)
    for n in range(COUNT):
        producer.send(key=f"k{n % 3}")
    for at in sorted(params["crashes"]):
        sim.call_at(at, worker.crash)
        sim.call_at(at + 1, worker.restart)
    sim.advance(900)
    return sim, events, worker, dead()


@settings(max_examples=90, deadline=None)
@given(runs)
def test_guarantees_hold_whatever_fails_or_crashes(params):
    sim, events, worker, dead = play(params)
    keys = {f"shop-{n}" for n in range(1, COUNT + 1)}
    performed = worker.ledger.performed
    assert conservation_violations(events, sim.locations(), ENDS[params["broker"]]) == []
    assert budget_violations(sim) == []
    if params["guarantee"] == "at-most-once":
        assert all(count == 1 for count in performed.values())
        assert set(performed) | worker.ledger.lost == keys
        assert not set(performed) & worker.ledger.lost
        return
    assert not worker.ledger.lost
    assert set(performed) | dead == keys
    if params["guarantee"] == "effectively-once":
        assert all(count == 1 for count in performed.values())
