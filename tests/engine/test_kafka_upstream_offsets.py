"""Kafka's own consumer offset cases, ported: apache/kafka clients/src/test/java/org/apache/
kafka/clients/consumer/KafkaConsumerTest.java (the classic group protocol). Each test names its
upstream method. mqlab's consumer has no manual ``assign``: a lone member of a group gets
every partition of its topic, which stands in for upstream's ``assign``.
"""

from __future__ import annotations

import pytest

from engine import Simulation
from engine.kafka.errors import IllegalArgumentException, NoOffsetForPartitionException

TP0 = ("test", 0)


def topic_with(records: int, partitions: int = 1) -> Simulation:
    sim = Simulation(seed=0)
    sim.kafka.create_topic("test", num_partitions=partitions)
    if records:
        sim.kafka.producer().send_batch("test", [{"value": "x", "partition": 0}] * records)
    return sim


def member(sim, reset="latest", group="group"):
    consumer = sim.kafka.consumer(group_id=group, auto_offset_reset=reset,
                                  enable_auto_commit=False)
    consumer.subscribe(["test"])
    return consumer


def commit_as_earlier_member(sim, offsets):
    earlier = member(sim)
    earlier.poll()
    earlier.commit(offsets)
    earlier.close()


def test_seek_to_a_negative_offset_is_refused():
    """KafkaConsumerTest.testSeekNegative."""
    consumer = member(topic_with(0))
    consumer.poll()
    with pytest.raises(IllegalArgumentException):
        consumer.seek(TP0, -1)


def test_no_committed_offset_and_no_reset_policy_fails_the_poll():
    """KafkaConsumerTest.testMissingOffsetNoResetPolicy."""
    consumer = member(topic_with(0), reset="none")
    with pytest.raises(NoOffsetForPartitionException):
        consumer.poll()


def test_position_starts_at_the_committed_offset():
    """KafkaConsumerTest.testResetToCommittedOffset: committed 539, position 539 (here: the
    first record read is 539, as a poll that fetches reads from the position)."""
    sim = topic_with(600)
    commit_as_earlier_member(sim, {TP0: 539})
    consumer = member(sim, reset="none")
    assert consumer.poll(max_records=1)[0].offset == 539


def test_without_a_committed_offset_latest_starts_at_the_end():
    """KafkaConsumerTest.testResetUsingAutoResetPolicy: no committed offset, reset latest, the
    log ends at 50: position 50."""
    consumer = member(topic_with(50), reset="latest")
    consumer.poll()
    assert consumer.position(TP0) == 50


def test_a_seek_sets_the_position():
    """KafkaConsumerTest.testOffsetIsValidAfterSeek: after seek(20) the position is 20 and the
    next record read is offset 20."""
    consumer = member(topic_with(30), reset="latest")
    consumer.poll()
    consumer.seek(TP0, 20)
    assert consumer.position(TP0) == 20
    assert consumer.poll(max_records=1)[0].offset == 20


def test_committed_is_none_where_the_group_never_committed():
    """KafkaConsumerTest.testNoCommittedOffsets: one partition committed at 10000, the other
    has no committed offset."""
    sim = topic_with(0, partitions=2)
    commit_as_earlier_member(sim, {TP0: 10000})
    consumer = member(sim)
    consumer.poll()
    assert consumer.committed(TP0) == 10000
    assert consumer.committed(("test", 1)) is None
