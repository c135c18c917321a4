"""A room's budget (engine/limits.py): each cap refused the broker's own way, with words that
say it is the room's limit and its value; the running account of what the room holds."""

import contextlib

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from engine import Limits, Simulation
from engine.apps import kinds
from engine.apps.adapters.kafka import KafkaProducerAdapter
from engine.apps.adapters.sqs import SqsProducer
from engine.apps.consumer import Consumer
from engine.apps.producer import Producer
from engine.apps.rates import Bursts, Steady
from engine.errors import LimitReached
from engine.invariants import budget_violations, conservation_violations
from engine.kafka.errors import (
    GroupMaxSizeReachedException,
    KafkaStorageException,
    PolicyViolationException,
)
from engine.rabbitmq.errors import PreconditionFailed, PublishRefused
from engine.sqs.errors import OverLimit

ROOMS_OWN = "this room's limit of"


def record(sim):
    seen = []
    sim.subscribe(seen.append)
    return seen


def test_limits_have_defaults_and_refuse_nonsense():
    assert Simulation().limits == Limits()
    assert Limits().max_messages == 50_000 and Limits().max_bytes == 64 * 1024 * 1024
    with pytest.raises(ValueError, match="max_queues=0"):
        Limits(max_queues=0)
    with pytest.raises(ValueError, match="watermark"):
        Limits(watermark=1.5)


def test_the_account_follows_messages_in_and_out_without_a_scan():
    sim = Simulation()
    channel = sim.rabbitmq.channel()
    channel.queue_declare("work")
    for body in ("ab", "cde"):
        channel.basic_publish("", "work", body)
    assert sim.held() == (2, 5)
    got = []
    channel.basic_consume("work", lambda ch, method, props, body: got.append(method.delivery_tag))
    sim.advance(0)
    assert sim.held() == (2, 5)  # unacked still counts
    channel.basic_ack(got[0])
    assert sim.held() == (1, 3)
    sim.kafka.create_topic("t")
    sim.kafka.producer().send("t", value="xyz")
    sim.sqs.send_message(QueueUrl=sim.sqs.create_queue(QueueName="q")["QueueUrl"],
                         MessageBody="hello")
    assert sim.held() == (3, 11)
    sim.kafka.delete_topic("t")
    assert sim.held() == (2, 8)


# -- RabbitMQ: vhost limits ----------------------------------------------------------------
def test_rabbitmq_max_queues_answers_as_a_vhost_queue_limit():
    sim = Simulation(limits=Limits(max_queues=2))
    channel = sim.rabbitmq.channel()
    channel.queue_declare("a")
    channel.queue_declare("b")
    channel.queue_declare("a")  # re-declaring an existing queue is not a new one
    with pytest.raises(PreconditionFailed) as refused:
        channel.queue_declare("c")
    assert refused.value.reply_code == 406
    assert refused.value.reply_text.startswith(
        "PRECONDITION_FAILED - cannot declare queue 'c': queue limit in vhost '/' (2) is "
        "reached")
    assert f"{ROOMS_OWN} 2 queues" in refused.value.reply_text
    assert sorted(sim.rabbitmq.queues) == ["a", "b"]


@pytest.mark.parametrize(("cap", "first", "second", "text"), [
    ({"max_exchanges": 1},
     lambda ch: ch.exchange_declare("x1", "fanout"),
     lambda ch: ch.exchange_declare("x2", "fanout"), "1 exchanges"),
    ({"max_bindings": 1},
     lambda ch: ch.queue_bind("q", "amq.fanout"),
     lambda ch: ch.queue_bind("q", "amq.direct"), "1 bindings"),
    ({"max_consumers": 1},
     lambda ch: ch.basic_consume("q", lambda *a: None),
     lambda ch: ch.basic_consume("q", lambda *a: None), "1 consumers"),
])
def test_rabbitmq_node_caps_close_the_channel_with_406(cap, first, second, text):
    sim = Simulation(limits=Limits(**cap))
    sim.rabbitmq.channel().queue_declare("q")
    channel = sim.rabbitmq.channel()
    first(channel)
    with pytest.raises(PreconditionFailed, match=f"{ROOMS_OWN} {text}"):
        second(channel)
    assert not channel.is_open


# -- RabbitMQ: the budget drives the memory alarm ------------------------------------------
KB10 = b"x" * 10_240


def publish_command(channel, count):
    """What a playground publish command does: count publishes, stopped by a refusal."""
    for _ in range(count):
        try:
            channel.basic_publish("", "work", KB10)
        except PublishRefused as error:
            return str(error)
    return None


def test_fifty_publishes_of_a_thousand_10kb_bodies_stay_within_the_budget():
    sim = Simulation(seed=1)
    events = record(sim)
    admin = sim.rabbitmq.channel()
    admin.queue_declare("work")
    publisher = sim.rabbitmq.connection().channel()
    limits = sim.limits
    peak, refusals = 0, []
    for _ in range(50):
        refusal = publish_command(publisher, 1_000)
        peak = max(peak, sim.held()[1])
        if refusal:
            refusals.append(refusal)
    assert peak <= limits.max_bytes
    assert sim.rabbitmq.alarm and publisher.connection.is_blocked
    assert sim.rabbitmq.waiting.messages == limits.max_held_publishes
    # ~3,900 stored (0.6 of 64 MiB) + 1,000 held: the fifth command is cut short, and the
    # 45 after it are refused at their first publish
    assert len(refusals) == 46
    assert f"{ROOMS_OWN} 1000 publishes held while blocked" in refusals[0]
    accepted = [e.message_id for e in events if e.kind in ("published", "publish-held")]
    accepted = list(dict.fromkeys(accepted))
    assert sim.held() == (len(accepted), len(accepted) * len(KB10))
    delivered = []
    consumer = sim.rabbitmq.connection().channel()
    consumer.basic_consume("work", lambda ch, m, p, body: delivered.append(m.delivery_tag),
                           auto_ack=True)
    sim.advance(1)
    kinds_seen = [e.kind for e in events]
    assert "alarm-cleared" in kinds_seen and "connection-unblocked" in kinds_seen
    got = [e.message_id for e in events if e.kind == "delivered"]
    assert got == accepted  # the held publishes went through after the stored ones, in order
    assert sim.held() == (0, 0)
    assert conservation_violations(events, sim.locations()) == []


def test_a_held_publish_that_would_not_fit_the_budget_is_refused():
    sim = Simulation(limits=Limits(max_messages=10, max_bytes=10_000))
    sim.rabbitmq.channel().queue_declare("work")
    publisher = sim.rabbitmq.connection().channel()
    for _ in range(7):  # 7 > 0.6 of 10: the alarm goes off
        publisher.basic_publish("", "work", "m")
    assert sim.rabbitmq.alarm
    for _ in range(3):
        publisher.basic_publish("", "work", "m")  # held: 10 in all
    with pytest.raises(PublishRefused, match="budget of 10 messages / 10000 bytes held is full"):
        publisher.basic_publish("", "work", "m")
    assert sim.held() == (10, 10)


def test_room_freed_by_another_broker_clears_the_alarm_at_the_next_memory_sample():
    sim = Simulation(limits=Limits(max_messages=10))
    events = record(sim)
    sim.kafka.create_topic("t")
    producer = sim.kafka.producer()
    for n in range(7):
        producer.send("t", value=str(n))
    sim.rabbitmq.channel().queue_declare("work")
    publisher = sim.rabbitmq.connection().channel()
    publisher.basic_publish("", "work", "a")  # 8 > 0.6 of 10: the alarm goes off
    held = publisher.basic_publish("", "work", "b")
    assert sim.rabbitmq.alarm and sim.held() == (9, 9)
    sim.kafka.delete_topic("t")  # RabbitMQ hears nothing of it ...
    sim.advance(2.4)
    assert sim.rabbitmq.alarm
    sim.advance(0.1)  # ... until its memory monitor samples again (every 2.5 s)
    assert not sim.rabbitmq.alarm
    assert [e.message_id for e in events if e.kind == "enqueued"][-1] == held
    assert sim.rabbitmq._monitor is None  # no sampling while the alarm is down


# -- Kafka ---------------------------------------------------------------------------------
def test_kafka_topic_and_partition_caps_are_a_policy_violation():
    sim = Simulation(limits=Limits(max_topics=2, max_partitions=5,
                                   max_partitions_per_topic=4))
    kafka = sim.kafka
    kafka.create_topic("a", num_partitions=3)
    with pytest.raises(PolicyViolationException, match=f"{ROOMS_OWN} 4 partitions per topic"):
        kafka.create_topic("b", num_partitions=5)
    with pytest.raises(PolicyViolationException, match=f"make 6 in all: {ROOMS_OWN} 5 "):
        kafka.create_topic("b", num_partitions=3)
    kafka.create_partitions("a", 4)
    with pytest.raises(PolicyViolationException, match=f"{ROOMS_OWN} 5 partitions"):
        kafka.create_topic("b", num_partitions=2)
    kafka.create_topic("b", num_partitions=1)
    with pytest.raises(PolicyViolationException, match=f"{ROOMS_OWN} 2 topics"):
        kafka.create_topic("c")
    assert kafka.list_topics() == ["a", "b"]


def test_kafka_consumers_past_the_cap_reach_the_group_max_size():
    sim = Simulation(limits=Limits(max_consumers=1))
    sim.kafka.consumer(group_id="g")
    with pytest.raises(GroupMaxSizeReachedException, match=f"{ROOMS_OWN} 1 consumers"):
        sim.kafka.consumer(group_id="g")


def test_kafka_produce_past_the_budget_is_a_storage_error():
    sim = Simulation(limits=Limits(max_messages=2))
    sim.kafka.create_topic("t")
    producer = sim.kafka.producer()
    producer.send("t", value="a")
    producer.send("t", value="b")
    with pytest.raises(KafkaStorageException, match="budget of 2 messages"):
        producer.send("t", value="c")
    assert sim.held()[0] == 2


def test_a_kafka_app_producer_backs_off_and_retries_in_order_never_raising():
    sim = Simulation(limits=Limits(max_messages=8))
    events = record(sim)
    rabbit = sim.rabbitmq.channel()
    rabbit.queue_declare("full")
    for _ in range(6):  # the budget is the room's: RabbitMQ's messages leave Kafka 2
        rabbit.basic_publish("", "full", "x")
    sim.kafka.create_topic("t")
    app = Producer(sim, "shop", KafkaProducerAdapter(sim, "shop", "t"), rate=Steady(2),
                   body="{n}", limit=8)
    app.start()
    drain = sim.rabbitmq.connection().channel()
    sim.call_at(3, drain.basic_consume, "full", lambda *a: None, True)  # room again
    sim.advance(30)
    throttled = [e for e in events if e.kind == kinds.PRODUCER_THROTTLED]
    assert throttled and "KafkaStorageException" in throttled[0].reason
    assert [e.details["backoff"] for e in throttled[:3]] == [0.1, 0.2, 0.4]
    values = [e.details["value"] for e in events if e.kind == "appended"]
    assert values == [str(n) for n in range(1, 9)]  # all eight, in order
    assert app.rejected == 0


# -- SQS -----------------------------------------------------------------------------------
def test_sqs_queue_cap_and_budget_answer_over_limit():
    sim = Simulation(limits=Limits(max_queues=1, max_messages=1))
    url = sim.sqs.create_queue(QueueName="a")["QueueUrl"]
    with pytest.raises(OverLimit, match=f"{ROOMS_OWN} 1 queues") as refused:
        sim.sqs.create_queue(QueueName="b")
    assert refused.value.code == "OverLimit"
    sim.sqs.send_message(QueueUrl=url, MessageBody="one")
    with pytest.raises(OverLimit, match="budget of 1 messages"):
        sim.sqs.send_message(QueueUrl=url, MessageBody="two")


# -- simulated apps ------------------------------------------------------------------------
def sqs_producer(sim, name, rate):
    return Producer(sim, name, SqsProducer(sim, name, "q"), rate=rate)


def test_simulated_producers_are_capped_in_number_and_rate():
    sim = Simulation(limits=Limits(max_producers=2, max_rate=100, max_total_rate=150))
    sim.sqs.create_queue(QueueName="q")
    with pytest.raises(LimitReached, match=f"{ROOMS_OWN} 100 messages per second for one"):
        sqs_producer(sim, "fast", Steady(101))
    with pytest.raises(LimitReached, match="100 messages per second for one"):
        sqs_producer(sim, "bursty", Bursts(size=500, every=1))
    first = sqs_producer(sim, "p1", Steady(100))
    with pytest.raises(LimitReached, match=f"to 160 messages/s: {ROOMS_OWN} 150"):
        sqs_producer(sim, "p2", Steady(60))
    sqs_producer(sim, "p2", Steady(50))
    with pytest.raises(LimitReached, match=f"{ROOMS_OWN} 2 simulated producers"):
        sqs_producer(sim, "p3", None)
    first.stop()  # a stopped producer gives its place and its rate back
    sqs_producer(sim, "p3", Steady(100))


def test_simulated_consumers_are_capped():
    from engine.apps.adapters.sqs import SqsConsumer

    sim = Simulation(limits=Limits(max_consumers=1))
    sim.sqs.create_queue(QueueName="q")
    first = Consumer(sim, "c1", SqsConsumer(sim, "c1", "q"), processing=lambda rng: 0.1)
    with pytest.raises(LimitReached, match=f"{ROOMS_OWN} 1 simulated consumers"):
        Consumer(sim, "c2", SqsConsumer(sim, "c2", "q"), processing=lambda rng: 0.1)
    first.retire()
    Consumer(sim, "c2", SqsConsumer(sim, "c2", "q"), processing=lambda rng: 0.1)


# -- the property: held + stored never exceed the budget -----------------------------------
OPS = st.lists(st.one_of(
    st.tuples(st.just("publish"), st.integers(0, 1), st.sampled_from(["", "fan"]),
              st.integers(0, 120)),
    st.tuples(st.just("consume"), st.booleans()),
    st.tuples(st.just("ack")),
    st.tuples(st.just("advance"), st.sampled_from([0, 0.5])),
), max_size=80)


@settings(max_examples=60, deadline=None)
@given(OPS)
def test_held_and_stored_never_exceed_the_budget(ops):
    limits = Limits(max_messages=12, max_bytes=600, max_held_publishes=4)
    sim = Simulation(seed=5, limits=limits)
    events = record(sim)
    admin = sim.rabbitmq.channel()
    admin.exchange_declare("fan", "fanout")
    for name in ("q1", "q2"):
        admin.queue_declare(name)
        admin.queue_bind(name, "fan")
    publishers = [sim.rabbitmq.connection().channel() for _ in range(2)]
    worker = sim.rabbitmq.connection().channel()
    tags = []
    for op in ops:
        if op[0] == "publish":
            _, which, exchange, size = op
            with contextlib.suppress(PublishRefused):  # refused: the caller saw an error
                publishers[which].basic_publish(exchange, "q1", b"x" * size)
        elif op[0] == "consume":
            worker.basic_consume("q1" if op[1] else "q2",
                                 lambda ch, m, p, b: tags.append(m.delivery_tag))
        elif op[0] == "ack" and tags:
            worker.basic_ack(tags.pop(0))
        elif op[0] == "advance":
            sim.advance(op[1])
        assert budget_violations(sim) == []
    assert conservation_violations(events, sim.locations()) == []
