"""Simulated apps on the RabbitMQ model: delivery guarantees, failures, retries via delay
queues and the DLX, prefetch, rate limits, publisher backpressure, ordering checks."""

from engine import Simulation
from engine.apps import kinds
from engine.apps.adapters.rabbitmq import RabbitConsumer, RabbitProducer
from engine.apps.backoff import Backoff
from engine.apps.backpressure import Backpressure
from engine.apps.consumer import Consumer, FailurePolicy
from engine.apps.durations import duration_from_spec
from engine.apps.failures import FailureRule
from engine.apps.producer import Producer
from engine.apps.rates import Steady
from engine.apps.token_bucket import TokenBucket
from engine.rabbitmq import Cancel


def setup(sim, queues=("work",), arguments=None):
    channel = sim.rabbitmq.channel()
    for name in queues:
        channel.queue_declare(name, arguments=(arguments or {}).get(name))
    return channel


def make_consumer(sim, name="worker", queue="work", *, prefetch=None, processing=1.0,
                  policy=None, retry_levels=0, **settings):
    adapter = RabbitConsumer(sim, name, queue, prefetch=prefetch, retry_levels=retry_levels)
    return Consumer(sim, name, adapter, processing=duration_from_spec(processing),
                    policy=policy, **settings)


def publish(sim, count, producer="shop", queue="work", body="order-{n}"):
    app = Producer(sim, producer, RabbitProducer(sim, producer, routing_key=queue), body=body)
    for _ in range(count):
        app.send()
    return app


def record(sim, *wanted):
    seen = []
    sim.subscribe(lambda e: seen.append(e) if e.kind in wanted else None)
    return seen


def test_at_least_once_redelivers_after_a_crash_so_the_side_effect_happens_twice():
    sim = Simulation(seed=1)
    setup(sim)
    worker = make_consumer(sim, prefetch=1, processing=2.0, side_effect_at=0.5)
    worker.start()
    publish(sim, 1)
    sim.advance(1.5)  # side effect done at t=1, ack due at t=2
    worker.crash()
    worker.restart()
    sim.advance(5)
    assert worker.ledger.performed == {"shop-1": 2}
    assert worker.ledger.duplicates == 1 and not worker.ledger.lost


def test_at_most_once_auto_acks_so_a_crash_loses_the_messages_in_hand():
    sim = Simulation(seed=1)
    setup(sim)
    lost = record(sim, kinds.WORK_LOST)
    worker = make_consumer(sim, guarantee="at-most-once", processing=1.0)
    worker.start()
    publish(sim, 3)
    sim.advance(1.5)  # shop-1 done; shop-2 in progress; shop-3 in the app's buffer
    worker.crash()
    worker.restart()
    sim.advance(10)
    assert worker.ledger.performed == {"shop-1": 1}
    assert worker.ledger.lost == {"shop-2", "shop-3"}
    assert [e.details["key"] for e in lost] == ["shop-2", "shop-3"]
    assert sim.rabbitmq.queues["work"]["ready"] == 0  # the broker forgot them on delivery


def test_effectively_once_skips_the_redelivered_message_it_already_processed():
    sim = Simulation(seed=1)
    setup(sim)
    skipped = record(sim, kinds.DUPLICATE_SKIPPED)
    worker = make_consumer(sim, guarantee="effectively-once", prefetch=1, processing=2.0,
                           side_effect_at=0.5)
    worker.start()
    publish(sim, 1)
    sim.advance(1.5)
    worker.crash()
    worker.restart()
    sim.advance(5)
    assert worker.ledger.performed == {"shop-1": 1}
    assert [e.details["key"] for e in skipped] == ["shop-1"]
    assert sim.rabbitmq.queues["work"] == {**sim.rabbitmq.queues["work"], "ready": 0,
                                           "unacked": 0}


def test_competing_instances_of_one_service_share_ledger_and_idempotency_store():
    sim = Simulation(seed=1)
    setup(sim)
    first = make_consumer(sim, "a", guarantee="effectively-once", prefetch=1, processing=2.0,
                          side_effect_at=0.5)
    second = make_consumer(sim, "b", guarantee="effectively-once", prefetch=1, processing=2.0,
                           side_effect_at=0.5, ledger=first.ledger, store=first.store)
    first.start()
    publish(sim, 1)
    sim.advance(1.5)
    second.start()
    first.crash()  # the message goes back to the queue and on to b
    sim.advance(5)
    assert second.received == 1
    assert first.ledger.performed == {"shop-1": 1}


def test_requeue_on_failure_redelivers_the_poison_message_for_ever():
    sim = Simulation(seed=1)
    setup(sim)
    worker = make_consumer(sim, prefetch=1, processing=1.0,
                           failures=FailureRule(poison=("order-1",)))
    worker.start()
    publish(sim, 2)
    sim.advance(10)
    assert worker.failed >= 9  # it keeps coming back at the head
    assert worker.ledger.performed == {}  # order-2 sits behind it (prefetch 1)


def test_retry_goes_through_delay_queues_then_the_dead_letter_exchange():
    sim = Simulation(seed=2)
    channel = setup(sim, queues=())
    channel.exchange_declare("dlx", "fanout")
    channel.queue_declare("work", arguments={"x-dead-letter-exchange": "dlx"})
    channel.queue_declare("work.dlq")
    channel.queue_bind("work.dlq", "dlx")
    retries = record(sim, kinds.RETRY_SCHEDULED)
    policy = FailurePolicy("retry", Backoff(base=1, factor=2, cap=30, jitter="none"), 3)
    worker = make_consumer(sim, prefetch=5, processing=0.5, policy=policy, retry_levels=2,
                           failures=FailureRule(poison=("order-1",)))
    worker.start()
    publish(sim, 1)
    sim.advance(20)
    # fails at 0.5, waits 1 s in work.retry.1, fails at 2.0, waits 2 s in work.retry.2,
    # fails a third time at 4.5 and is rejected to the DLX
    assert [(e.at, e.details["delay"]) for e in retries] == [(0.5, 1), (2.0, 2)]
    assert worker.failed == 3
    assert sim.rabbitmq.queues["work.dlq"]["ready"] == 1
    assert {"work.retry.1", "work.retry.2"} <= set(sim.rabbitmq.queues)
    dead = sim.snapshot()["contents"]["rabbitmq:queue:work.dlq"]["messages"][0]
    assert dead["properties"]["headers"]["x-attempt"] == 3
    assert [d["queue"] for d in dead["x_death"]][:1] == ["work"]


def test_drop_on_failure_acks_and_counts_the_work_as_lost():
    sim = Simulation(seed=1)
    setup(sim)
    worker = make_consumer(sim, processing=0.1, policy=FailurePolicy("drop"),
                           failures=FailureRule(rate=1.0))
    worker.start()
    publish(sim, 2)
    sim.advance(5)
    assert worker.ledger.lost == {"shop-1", "shop-2"}
    assert sim.rabbitmq.queues["work"]["ready"] == 0


def test_prefetch_one_gives_the_next_task_to_whoever_is_free():
    sim = Simulation(seed=1)
    setup(sim)
    fast = make_consumer(sim, "fast", prefetch=1, processing=0.5)
    slow = make_consumer(sim, "slow", prefetch=1, processing=5.0)
    fast.start()
    slow.start()
    publish(sim, 10)
    sim.advance(60)
    assert (fast.received, slow.received) == (9, 1)


def test_token_bucket_caps_the_consumer_at_its_rate():
    sim = Simulation(seed=1)
    setup(sim)
    worker = make_consumer(sim, prefetch=10, processing=0.0,
                           limiter=TokenBucket(rate=2, burst=1))
    worker.start()
    publish(sim, 20)
    sim.advance(4.9)
    assert worker.ledger.total == 10  # t = 0, 0.5, ..., 4.5
    sim.advance(10)
    assert worker.ledger.total == 20


def test_out_of_order_processing_per_key_is_flagged():
    sim = Simulation(seed=1)
    setup(sim)
    flagged = record(sim, kinds.OUT_OF_ORDER)
    ledger = make_consumer(sim, "x").ledger
    slow = make_consumer(sim, "slow", prefetch=1, processing=3.0, ledger=ledger)
    fast = make_consumer(sim, "fast", prefetch=1, processing=0.5, ledger=ledger)
    slow.start()
    fast.start()
    app = Producer(sim, "shop", RabbitProducer(sim, "shop", routing_key="work"))
    app.send(key="alice")  # #1 goes to slow
    app.send(key="alice")  # #2 goes to fast and is done first
    sim.advance(10)
    assert [(e.details["key"], e.source) for e in flagged] == [
        ("shop-1", "rabbitmq:consumer:slow")]


def test_reject_publish_overflow_nacks_the_producer():
    sim = Simulation(seed=1)
    setup(sim, arguments={"work": {"x-max-length": 2, "x-overflow": "reject-publish"}})
    refused = record(sim, kinds.PUBLISH_REJECTED)
    app = publish(sim, 3)
    assert (app.accepted, app.rejected) == (2, 1)
    assert refused[0].details["key"] == "shop-3"
    assert app.adapter.nacked == 1


def test_backpressure_slow_pauses_the_producer_and_reject_refuses_upstream():
    sim = Simulation(seed=1)
    setup(sim, queues=("slowed", "refused"))
    slowed = Producer(sim, "a", RabbitProducer(sim, "a", routing_key="slowed"), rate=Steady(10),
                      backpressure=Backpressure("slowed", 5, "slow", pause=2.0), limit=20)
    refused = Producer(sim, "b", RabbitProducer(sim, "b", routing_key="refused"),
                       rate=Steady(10), backpressure=Backpressure("refused", 5, "reject"),
                       limit=20)
    slowed.start()
    refused.start()
    sim.advance(3)
    assert slowed.accepted == 5 and slowed.throttled >= 1 and slowed.rejected == 0
    assert refused.accepted == 5 and refused.rejected == 15


def test_batches_are_sent_when_full_and_flushed_when_the_producer_stops():
    sim = Simulation(seed=1)
    setup(sim)
    app = Producer(sim, "shop", RabbitProducer(sim, "shop", routing_key="work"),
                   rate=Steady(1), batch=3, stop=4.5)
    app.start()
    sim.advance(3.5)
    assert sim.rabbitmq.queues["work"]["ready"] == 3
    sim.advance(5)
    assert sim.rabbitmq.queues["work"]["ready"] == 4


def test_same_seed_same_app_events():
    def trace(seed):
        sim = Simulation(seed=seed)
        setup(sim)
        events = record(sim, *kinds.APP_KINDS, "acked", "delivered", "requeued")
        worker = make_consumer(sim, prefetch=3, processing={"kind": "exponential", "mean": 1},
                               failures=FailureRule(rate=0.3))
        worker.start()
        publish(sim, 20)
        sim.advance(60)
        return events

    assert trace(4) == trace(4)
    assert trace(4) != trace(5)


def test_an_ack_on_a_connection_that_dropped_is_reported_and_the_message_redelivered():
    sim = Simulation(seed=1)
    setup(sim)
    refused = record(sim, kinds.SETTLE_FAILED)
    worker = make_consumer(sim, prefetch=1, processing=2.0)
    worker.start()
    publish(sim, 1)
    sim.advance(1)
    sim.rabbitmq.crash_connection("worker")  # the network drops under the app
    sim.advance(2)
    assert worker.ledger.performed == {"shop-1": 1}  # the email went out...
    assert [e.reason.split(":")[0] for e in refused] == ["basic_ack failed"]
    assert sim.rabbitmq.queues["work"]["ready"] == 1  # ...and the order is back in the queue


def test_producer_pauses_while_the_memory_alarm_blocks_its_connection_and_resumes_after():
    sim = Simulation(seed=1)
    setup(sim)
    sim.rabbitmq.set_memory_high_watermark(messages=3)
    flow = record(sim, "alarm-raised", "alarm-cleared", "connection-blocked",
                  "connection-unblocked", kinds.PRODUCER_BLOCKED, kinds.PRODUCER_RESUMED,
                  "enqueued")
    app = Producer(sim, "shop", RabbitProducer(sim, "shop", routing_key="work"),
                   rate=Steady(1), limit=6)
    app.start()
    sim.advance(5.5)  # 4 messages > watermark 3 at t=4: blocked, nothing sent at t=5
    drain = sim.rabbitmq.channel()
    drain.basic_consume("work", lambda *delivery: None, auto_ack=True)
    sim.advance(5)
    assert [(e.at, e.kind, e.message_id) for e in flow] == [
        (1, "enqueued", "m1"), (2, "enqueued", "m2"), (3, "enqueued", "m3"),
        (4, "enqueued", "m4"), (4, "alarm-raised", None), (4, "connection-blocked", None),
        (4, kinds.PRODUCER_BLOCKED, None),
        (5.5, "alarm-cleared", None), (5.5, "connection-unblocked", None),
        (5.5, kinds.PRODUCER_RESUMED, None),
        (5.5, "enqueued", "m5"), (6.5, "enqueued", "m6")]
    assert (app.sent, app.accepted, app.rejected) == (6, 6, 0)
    assert not app.blocked


def test_a_consumer_whose_queue_is_deleted_gets_basic_cancel_and_subscribes_again():
    """"Consumer Cancel Notification": pika announces consumer_cancel_notify, so the broker
    sends basic.cancel; the app logs it and subscribes again once the queue is back."""
    sim = Simulation(seed=1)
    admin = setup(sim)
    notices = record(sim, kinds.CONNECT_FAILED)
    worker = make_consumer(sim)
    worker.start()
    admin.queue_delete("work")
    sim.advance(12)  # two more tries, both NOT_FOUND
    assert [e.details["code"] for e in notices] == ["basic.cancel", "NOT_FOUND", "NOT_FOUND"]
    admin.queue_declare("work")
    sim.advance(5)
    publish(sim, 2)
    sim.advance(5)
    assert worker.ledger.total == 2


def test_basic_cancel_reaches_the_channels_cancel_callbacks():
    sim = Simulation()
    ch = sim.rabbitmq.channel()
    ch.queue_declare("q")
    got = []
    ch.add_on_cancel_callback(got.append)
    ch.basic_consume("q", lambda *a: None, consumer_tag="c")
    ch.queue_delete("q")
    sim.advance(0)
    assert [(type(m), m.consumer_tag) for m in got] == [(Cancel, "c")]
