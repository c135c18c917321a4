"""Topics, the default partitioner, a consumer group with range, poll and commit."""

import pytest

from engine import Simulation
from engine.kafka import (
    InvalidPartitionsException,
    TopicExistsException,
    TopicPartition,
    UnknownTopicOrPartitionException,
    partition_for_key,
)


def orders_group(sim, consumers=3, **options):
    sim.kafka.create_topic("orders", num_partitions=4)
    group = [sim.kafka.consumer(group_id="order-processors", client_id=f"c{i}",
                                auto_offset_reset="earliest", **options)
             for i in range(1, consumers + 1)]
    for consumer in group:
        consumer.subscribe(["orders"])
    sim.advance(0)
    return group


def test_range_gives_orders_partitions_p0_p1_then_p2_then_p3():
    sim = Simulation(seed=7)
    c1, c2, c3 = orders_group(sim)
    assert c1.assignment() == [("orders", 0), ("orders", 1)]
    assert c2.assignment() == [("orders", 2)]
    assert c3.assignment() == [("orders", 3)]


def test_keyed_records_land_on_the_murmur2_partition_in_order():
    sim = Simulation()
    sim.kafka.create_topic("orders", num_partitions=4)
    producer = sim.kafka.producer()
    sent = [producer.send("orders", value=f"v{i}", key=f"customer-{i % 3}") for i in range(9)]
    for i, meta in enumerate(sent):
        assert meta.partition == partition_for_key(f"customer-{i % 3}".encode(), 4)
        assert meta.get() is meta and meta.topic == "orders"
    by_key = {}
    for i, meta in enumerate(sent):
        by_key.setdefault(i % 3, []).append(meta.offset)
    assert all(offsets == sorted(offsets) for offsets in by_key.values())


def test_poll_returns_each_partitions_records_in_offset_order_and_commit_stores_position():
    sim = Simulation()
    (consumer,) = orders_group(sim, consumers=1)
    producer = sim.kafka.producer()
    for i in range(6):
        producer.send("orders", value=f"v{i}", partition=i % 2)
    records = consumer.poll()
    assert [(r.partition, r.offset, r.value) for r in records] == [
        (0, 0, "v0"), (0, 1, "v2"), (0, 2, "v4"), (1, 0, "v1"), (1, 1, "v3"), (1, 2, "v5")]
    consumer.commit()
    assert consumer.committed(TopicPartition("orders", 0)) == 3
    assert consumer.committed(("orders", 1)) == 3
    # commitSync commits every assigned partition with a position, empty ones included
    assert consumer.committed(("orders", 2)) == 0
    assert sim.kafka.consumer(group_id="other").committed(("orders", 0)) is None


def test_create_existing_topic_fails_and_changes_nothing():
    sim = Simulation()
    sim.kafka.create_topic("orders", num_partitions=2)
    with pytest.raises(TopicExistsException, match="orders"):
        sim.kafka.create_topic("orders", num_partitions=5)
    assert len(sim.kafka.describe_topic("orders")["partitions"]) == 2


def test_send_to_unknown_topic_or_partition_names_the_culprit():
    sim = Simulation()
    sim.kafka.create_topic("orders", num_partitions=2)
    producer = sim.kafka.producer()
    with pytest.raises(UnknownTopicOrPartitionException, match="'payments'") as error:
        producer.send("payments", value="x")
    assert error.value.code == "UnknownTopicOrPartitionException"
    with pytest.raises(UnknownTopicOrPartitionException, match=r"2 is not in the range \[0...2\)"):
        producer.send("orders", value="x", partition=2)


def test_zero_partitions_is_refused():
    sim = Simulation()
    with pytest.raises(InvalidPartitionsException, match="num_partitions=0"):
        sim.kafka.create_topic("orders", num_partitions=0)
    assert sim.kafka.list_topics() == []
