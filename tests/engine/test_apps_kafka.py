"""Simulated apps on the Kafka model: the poll loop, commits after processing, a crash's
re-reads, blocking retries, retry topics with a dead-letter topic, replay."""

from engine import Simulation
from engine.apps import kinds
from engine.apps.adapters.kafka import KafkaConsumerAdapter, KafkaProducerAdapter, group_lag
from engine.apps.backoff import Backoff
from engine.apps.consumer import Consumer, FailurePolicy
from engine.apps.durations import duration_from_spec
from engine.apps.failures import FailureRule
from engine.apps.producer import Producer


def make_consumer(sim, name="c1", *, processing=0.1, retry_levels=0, dead_letter=False,
                  max_records=10, **settings):
    adapter = KafkaConsumerAdapter(sim, name, "orders", "g", auto_offset_reset="earliest",
                                   max_records=max_records, retry_levels=retry_levels,
                                   dead_letter=dead_letter)
    return Consumer(sim, name, adapter, processing=duration_from_spec(processing), **settings)


def produce(sim, count, keys=("a",)):
    app = Producer(sim, "shop", KafkaProducerAdapter(sim, "shop", "orders"), body="order-{n}")
    for n in range(count):
        app.send(key=keys[n % len(keys)])
    return app


def test_records_are_processed_in_order_and_committed_after_processing():
    sim = Simulation(seed=1)
    sim.kafka.create_topic("orders", num_partitions=2)
    worker = make_consumer(sim)
    worker.start()
    produce(sim, 6, keys=("a", "b"))
    sim.advance(10)
    assert worker.ledger.total == 6 and worker.out_of_order == 0
    assert group_lag(sim, "g", ["orders"]) == 0


def test_a_crash_before_the_commit_makes_the_next_owner_re_read_the_batch():
    sim = Simulation(seed=1)
    sim.kafka.create_topic("orders", num_partitions=1)
    produce(sim, 5)
    first = make_consumer(sim, "c1", processing=1.0)
    first.start()
    sim.advance(3.5)  # three records done, none committed (the batch of 5 is unfinished)
    assert first.ledger.total == 3
    assert group_lag(sim, "g", ["orders"]) == 5
    first.crash()
    second = make_consumer(sim, "c2", processing=1.0, ledger=first.ledger)
    second.start()
    sim.advance(120)  # after the session timeout (45 s) c2 gets the partition
    assert first.ledger.performed == {"shop-1": 2, "shop-2": 2, "shop-3": 2, "shop-4": 1,
                                      "shop-5": 1}


def test_at_most_once_commits_after_the_poll_so_a_crash_skips_the_rest():
    sim = Simulation(seed=1)
    sim.kafka.create_topic("orders", num_partitions=1)
    produce(sim, 5)
    worker = make_consumer(sim, guarantee="at-most-once", processing=1.0)
    worker.start()
    sim.advance(2.5)
    worker.crash()
    assert group_lag(sim, "g", ["orders"]) == 0  # committed before any work
    assert worker.ledger.lost == {"shop-3", "shop-4", "shop-5"}


def auto_committing(sim, name, **settings):
    adapter = KafkaConsumerAdapter(sim, name, "orders", "g", auto_offset_reset="earliest",
                                   auto_commit=True)
    return Consumer(sim, name, adapter, processing=duration_from_spec(1.0), **settings)


def eight_records_auto_committed():
    sim = Simulation(seed=1)
    sim.kafka.create_topic("orders", num_partitions=1)
    produce(sim, 8)
    worker = auto_committing(sim, "c1")
    worker.start()
    return sim, worker


def test_auto_commit_after_the_interval_loses_the_records_in_hand_on_a_crash():
    # KafkaConsumer javadoc, "Automatic Offset Committing": the positions poll returned are
    # committed every auto.commit.interval.ms (5 s), processed or not.
    sim, worker = eight_records_auto_committed()
    sim.advance(5.5)  # the auto-commit at t=5 committed all 8; 5 are done
    assert group_lag(sim, "g", ["orders"]) == 0
    worker.crash()
    assert worker.ledger.lost == {"shop-6", "shop-7", "shop-8"}


def test_auto_commit_before_the_interval_makes_the_next_owner_re_read_on_a_crash():
    sim, first = eight_records_auto_committed()
    sim.advance(3.5)  # three done, nothing auto-committed yet
    first.crash()
    assert first.ledger.lost == set()
    second = auto_committing(sim, "c2", ledger=first.ledger)
    second.start()
    sim.advance(120)  # after the session timeout c2 reads from offset 0
    assert first.ledger.duplicates == 3 and first.ledger.lost == set()


def test_requeue_seeks_back_so_a_poison_record_blocks_its_partition():
    sim = Simulation(seed=1)
    sim.kafka.create_topic("orders", num_partitions=1)
    produce(sim, 3)
    worker = make_consumer(sim, processing=0.5, failures=FailureRule(poison=("order-2",)))
    worker.start()
    sim.advance(20)
    assert worker.ledger.performed == {"shop-1": 1}
    assert worker.failed > 10


def test_retry_topics_then_the_dead_letter_topic():
    sim = Simulation(seed=1)
    sim.kafka.create_topic("orders", num_partitions=1)
    retried = []
    sim.subscribe(lambda e: retried.append((e.at, e.details["delay"]))
                  if e.kind == kinds.RETRY_SCHEDULED else None)
    worker = make_consumer(sim, processing=0.5, retry_levels=2, dead_letter=True,
                           failures=FailureRule(poison=("order-1",)),
                           policy=FailurePolicy("retry", Backoff(2, 2, 60, "none"), 3))
    worker.start()
    produce(sim, 2)
    sim.advance(30)
    assert worker.ledger.performed == {"shop-2": 1}  # not blocked behind the poison record
    assert retried == [(0.5, 2), (3.0, 4)]
    assert {"orders-retry-0", "orders-retry-1", "orders-dlt"} <= set(sim.kafka.topics)
    dlt = sim.kafka.topics["orders-dlt"].partitions[0].log
    assert dlt.log_end - dlt.log_start == 1


def test_seek_to_beginning_replays_every_record():
    sim = Simulation(seed=1)
    sim.kafka.create_topic("orders", num_partitions=2)
    produce(sim, 4, keys=("a", "b"))
    worker = make_consumer(sim)
    worker.start()
    sim.advance(5)
    worker.adapter.replay()
    sim.advance(5)
    assert worker.ledger.performed == {f"shop-{n}": 2 for n in range(1, 5)}


def test_a_restarted_app_is_a_new_client():
    sim = Simulation(seed=1)
    sim.kafka.create_topic("orders", num_partitions=1)
    worker = make_consumer(sim)
    worker.start()
    sim.advance(1)
    worker.crash()
    worker.restart()
    assert worker.node == "kafka:consumer:c1-2"
    assert {"c1", "c1-2"} <= set(sim.kafka.consumers)


def test_at_most_once_keeps_polling_after_each_batch():
    sim = Simulation(seed=1)
    sim.kafka.create_topic("orders", num_partitions=1)
    produce(sim, 25)
    worker = make_consumer(sim, guarantee="at-most-once", max_records=10)
    worker.start()
    sim.advance(10)
    assert worker.ledger.total == 25 and not worker.ledger.lost


def test_without_a_committed_offset_a_group_starts_at_the_end_as_kafka_does():
    sim = Simulation(seed=1)
    sim.kafka.create_topic("orders", num_partitions=1)
    shop = produce(sim, 3)
    adapter = KafkaConsumerAdapter(sim, "late", "orders", "fresh")  # auto.offset.reset=latest
    worker = Consumer(sim, "late", adapter, processing=duration_from_spec(0.1))
    worker.start()
    sim.advance(1)
    shop.send(key="a")
    shop.send(key="a")
    sim.advance(5)
    assert list(worker.ledger.performed) == ["shop-4", "shop-5"]



def test_below_min_insync_replicas_an_acks_1_producer_app_writes_and_acks_all_is_refused():
    sim = Simulation(seed=1)
    sim.kafka.create_topic("orders", num_partitions=1, replication_factor=3,
                           config={"min.insync.replicas": 2})
    leader = sim.kafka.describe_topic("orders")["partitions"][0]["leader"]
    for broker in [b for b in (1, 2, 3) if b != leader]:
        sim.kafka.kill_broker(broker)  # the ISR shrinks to the leader alone
    refusals = []
    sim.subscribe(lambda e: refusals.append(e) if e.kind == kinds.PUBLISH_REJECTED else None)
    strict = Producer(sim, "strict", KafkaProducerAdapter(sim, "strict", "orders"))
    relaxed = Producer(sim, "relaxed", KafkaProducerAdapter(sim, "relaxed", "orders", acks="1"))
    for app in (strict, relaxed):
        app.send(key="a")
    assert (strict.accepted, strict.rejected) == (0, 1)
    assert (relaxed.accepted, relaxed.rejected) == (1, 0)
    assert [e.source for e in refusals] == [strict.node]
    assert "[NotEnoughReplicasException]" in refusals[0].reason
