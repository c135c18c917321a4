"""Kafka's own partitioner test cases, ported: apache/kafka clients/src/test/java/org/apache/
kafka/clients/producer/internals/{DefaultPartitionerTest,BuiltInPartitionerTest}.java
(UtilsTest.testMurmur2's vectors are in test_kafka_partitioner.py). Each test names its
upstream class and method. Not ported:
BuiltInPartitionerTest.adaptivePartitionsTest (mqlab has no send queues, so no load stats).
"""

from __future__ import annotations

import pytest

from engine import Simulation
from engine.kafka.errors import IllegalArgumentException
from engine.kafka.partitioner import StickyPartitioner, partition_for_key


class SequentialRandom:
    """BuiltInPartitionerTest.SequentialPartitioner: 'random' numbers 0, 1, 2, ..."""

    def __init__(self) -> None:
        self.next = 0

    def randrange(self, n: int) -> int:
        value, self.next = self.next % n, self.next + 1
        return value


def produce(sticky, available, partitions, rng, count):
    """Append ``count`` one-byte records; the partitions they went to."""
    chosen = []
    for _ in range(count):
        chosen.append(sticky.current(available, partitions, rng))
        sticky.record_appended(1, available, partitions, rng)
    return chosen


def test_key_partition_is_stable():
    """DefaultPartitionerTest.testKeyPartitionIsStable: the same key, the same partition."""
    assert partition_for_key(b"key", 3) == partition_for_key(b"key", 3)


def test_sticky_partition_switches_only_after_batch_size_bytes():
    """BuiltInPartitionerTest.testStickyPartitioning: with a sticky batch of 3 bytes the first
    three records share a partition and the fourth goes elsewhere; a one-partition topic
    always gets partition 0."""
    rng = SequentialRandom()
    first = produce(StickyPartitioner(3), [0, 1, 2], 3, rng, 4)
    assert first[0] == first[1] == first[2] != first[3]
    assert produce(StickyPartitioner(1), [0], 1, rng, 10) == [0] * 10


def test_sticky_partitioner_avoids_partitions_without_a_leader():
    """BuiltInPartitionerTest.unavailablePartitionsTest: topic A's partition 1 and topic B's
    partition 0 have no leader and are never chosen; topic C has no available partition and
    still gets one (its only partition)."""
    sim = Simulation(seed=7)
    topic_a = produce(StickyPartitioner(1), [0, 2], 3, sim.random, 101)
    assert 1 not in topic_a and len(set(topic_a)) > 1
    assert produce(StickyPartitioner(1), [1], 2, sim.random, 101) == [1] * 101
    assert produce(StickyPartitioner(1), [], 1, sim.random, 2) == [0, 0]


def test_sticky_batch_size_must_be_positive():
    """BuiltInPartitionerTest.testStickyBatchSizeMoreThatZero."""
    with pytest.raises(IllegalArgumentException):
        StickyPartitioner(0)
    StickyPartitioner(1)


def test_producer_batch_size_zero_sticks_for_one_byte():
    """KafkaProducer gives the partitioner max(1, batch.size): batch.size=0 (batching off) is a
    valid setting, and keyless records then move on after every record."""
    sim = Simulation(seed=3)
    sim.kafka.create_topic("clicks", num_partitions=4)
    producer = sim.kafka.producer(batch_size=0)
    assert producer.send("clicks", value="x").partition in range(4)
