"""Issue 9, "rooms no user can break": whatever a user does to the brokers under running apps
(delete the queue or topic a consumer is working from, the exchange a producer sends to,
close a worker's channel, crash and restart apps) no exception escapes ``sim.advance``.

A timer that raised made the room's replay raise for ever. The apps must meet a vanished
entity the way a real client does: the call fails with the broker's error, the app reports
it in an event and carries on (keeps polling, reconnects later, or drops the publish).
"""

import contextlib

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from engine import Simulation
from engine.apps import Backpressure, DlqAlert, kinds
from engine.apps.adapters import depth_function
from engine.apps.adapters.kafka import KafkaConsumerAdapter, KafkaProducerAdapter
from engine.apps.adapters.rabbitmq import RabbitConsumer, RabbitProducer
from engine.apps.adapters.sqs import SqsConsumer, SqsProducer
from engine.apps.consumer import Consumer, FailurePolicy
from engine.apps.durations import duration_from_spec
from engine.apps.failures import FailureRule
from engine.apps.producer import Producer
from engine.apps.rates import Steady
from engine.errors import EngineError
from engine.rabbitmq import BasicProperties


class Rabbit:
    def __init__(self, sim):
        self.sim = sim
        self.admin = sim.rabbitmq.connection()
        self.channel = self.admin.channel()

    def _ch(self):
        if not self.channel.is_open:
            self.channel = self.admin.channel()
        return self.channel

    def declare(self):
        ch = self._ch()
        ch.exchange_declare("ex", "direct")
        arguments = {"x-dead-letter-exchange": "", "x-dead-letter-routing-key": "jobs.dlq"}
        if self.sim.random.random() < 0.5:  # broker timers of their own: TTL, idle expiry
            arguments.update({"x-message-ttl": 2000, "x-expires": 9000})
        ch.queue_declare("jobs", auto_delete=self.sim.random.random() < 0.5,
                         arguments=arguments)
        ch.queue_declare("jobs.dlq")
        ch.queue_bind("jobs", "ex", "jobs")

    def delete(self):
        self._ch().queue_delete("jobs")

    def delete_other(self):
        self._ch().exchange_delete("ex")

    def odd(self):
        self._ch().basic_publish("ex", "jobs", "typed by a user", BasicProperties(headers=ODD))

    def consumer_adapter(self, name):
        return RabbitConsumer(self.sim, name, "jobs", prefetch=2, retry_levels=1)

    def producer_adapter(self, name):
        return RabbitProducer(self.sim, name, exchange="ex", routing_key="jobs")

    def break_worker(self, worker):
        channel = worker.adapter.channel
        if channel is not None and channel.is_open:
            channel.close()


class Kafka:
    def __init__(self, sim):
        self.sim = sim

    def declare(self):
        self.sim.kafka.create_topic("jobs", num_partitions=2)

    def delete(self):
        self.sim.kafka.delete_topic("jobs")

    def delete_other(self):
        for name in ("jobs.retry.1", "jobs.dlt"):
            if name in self.sim.kafka.topics:
                self.sim.kafka.delete_topic(name)

    def odd(self):
        headers = [(k, str(v).encode()) for k, v in ODD.items()] + [("retry-at", b"soon")]
        self.sim.kafka.producer().send("jobs", value=b"typed by a user", headers=headers)

    def consumer_adapter(self, name):
        return KafkaConsumerAdapter(self.sim, name, "jobs", "g", auto_offset_reset="earliest",
                                    retry_levels=1, dead_letter=True)

    def producer_adapter(self, name):
        return KafkaProducerAdapter(self.sim, name, "jobs")

    def break_worker(self, worker):
        consumer = worker.adapter.consumer
        if consumer is not None and consumer.alive:
            consumer.close()  # closed under the app, which still holds the object


class Sqs:
    def __init__(self, sim):
        self.sim = sim

    def declare(self):
        self.sim.sqs.create_queue(QueueName="jobs", Attributes={
            "VisibilityTimeout": "3", "DelaySeconds": str(self.sim.random.choice([0, 2]))})

    def _url(self):
        return self.sim.sqs.get_queue_url(QueueName="jobs")["QueueUrl"]

    def delete(self):
        self.sim.sqs.delete_queue(QueueUrl=self._url())

    def delete_other(self):
        self.sim.sqs.purge_queue(QueueUrl=self._url())

    def odd(self):
        self.sim.sqs.send_message(QueueUrl=self._url(), MessageBody="typed by a user",
                                  MessageAttributes={
                                      "key-seq": {"DataType": "Binary", "BinaryValue": b"1"},
                                      "ordering-key": {"DataType": "String",
                                                       "StringValue": "k"}})

    def consumer_adapter(self, name):
        return SqsConsumer(self.sim, name, "jobs", wait=self.sim.random.choice([0, 5]))

    def producer_adapter(self, name):
        return SqsProducer(self.sim, name, "jobs")

    def break_worker(self, worker):
        worker.adapter.crash()  # the receive loop dies under the app


#: headers a user may type that the apps also read (attempt, delivery count, ordering)
ODD = {"x-attempt": "zz", "x-delivery-count": None, "key-seq": [1], "ordering-key": [2]}

BROKERS = {"rabbitmq": Rabbit, "kafka": Kafka, "sqs": Sqs}

STEPS = st.lists(st.one_of(
    st.sampled_from(["declare", "delete", "delete_other", "start", "crash", "stop",
                     "restart", "break", "send", "odd"]),
    st.tuples(st.just("advance"), st.sampled_from([0.0, 0.3, 1.0, 2.5, 7.0])),
), max_size=25)


def build(broker, sim):
    world = BROKERS[broker](sim)
    policy = FailurePolicy(on_failure=sim.random.choice(["requeue", "retry", "dead-letter"]),
                           max_attempts=2)
    workers = [Consumer(sim, f"w{n}", world.consumer_adapter(f"w{n}"),
                        processing=duration_from_spec(1.0), policy=policy,
                        failures=FailureRule(rate=0.3),
                        guarantee=sim.random.choice(["at-least-once", "at-most-once"]))
               for n in range(2)]
    producer = Producer(sim, "shop", world.producer_adapter("shop"), body="job-{n}",
                        rate=Steady(0.5), backpressure=Backpressure("jobs", 5))
    producer.start()  # its ticks are timers too
    DlqAlert(sim, broker, "jobs", "alert", depth_function(sim, broker), every=2.0).start()
    return world, workers, producer


def run(world, workers, producer, step):
    sim = world.sim
    worker = workers[sim.random.randrange(len(workers))]
    actions = {
        "declare": world.declare, "delete": world.delete, "delete_other": world.delete_other,
        "start": worker.start, "crash": worker.crash, "stop": worker.stop,
        "restart": worker.restart, "break": lambda: world.break_worker(worker),
        "odd": world.odd,
        "send": lambda: (producer.send(), producer.flush()),
    }
    with contextlib.suppress(EngineError):  # a refused command is shown; the room goes on
        actions[step]()


@pytest.mark.parametrize("broker", sorted(BROKERS))
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(steps=STEPS, seed=st.integers(0, 3))
def test_no_exception_escapes_advance_whatever_is_deleted_under_the_apps(broker, steps, seed):
    sim = Simulation(seed=seed)
    world, workers, producer = build(broker, sim)
    for step in [*steps, ("advance", 30.0)]:
        if isinstance(step, tuple):
            sim.advance(step[1])  # anything raised here fails the test, EngineError too
        else:
            run(world, workers, producer, step)


def test_sqs_consumer_whose_queue_is_deleted_mid_work_reports_it_and_keeps_polling():
    sim = Simulation(seed=1)
    seen = []
    sim.subscribe(lambda e: seen.append(e) if e.kind in (kinds.SETTLE_FAILED,
                                                         kinds.CONNECT_FAILED) else None)
    world = Sqs(sim)
    world.declare()
    worker = Consumer(sim, "w", SqsConsumer(sim, "w", "jobs"),
                      processing=duration_from_spec(2.0))
    worker.start()
    Producer(sim, "shop", SqsProducer(sim, "shop", "jobs")).send()
    sim.advance(1)  # the worker is processing the message
    world.delete()
    sim.advance(30)
    assert [e.kind for e in seen][:2] == [kinds.SETTLE_FAILED, kinds.CONNECT_FAILED]
    assert all(e.details["code"] == "QueueDoesNotExist"
               for e in seen)
    sim.advance(30)  # SQS: 60 s before a deleted queue's name can be used again
    world.declare()  # the queue comes back: the loop that kept polling finds it
    Producer(sim, "shop2", SqsProducer(sim, "shop2", "jobs")).send()
    sim.advance(30)
    assert worker.ledger.total == 2


@pytest.mark.parametrize("broker", sorted(BROKERS))
def test_headers_a_user_typed_do_not_break_the_app_that_reads_them(broker):
    """x-attempt "zz", a list as key-seq, a binary SQS attribute: each raised inside the
    delivery (ValueError, TypeError, KeyError), out of the clock."""
    sim = Simulation(seed=1)
    world, workers, _ = build(broker, sim)
    world.declare()
    workers[0].start()
    sim.advance(1)
    world.odd()
    sim.advance(10)
    assert workers[0].received >= 1
