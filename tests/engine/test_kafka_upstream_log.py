"""Kafka's own log cleaner and consumer-group offset cases, ported: apache/kafka
core/src/test/scala/unit/kafka/log/LogCleanerTest.scala and tools/src/main/java/org/apache/
kafka/tools/consumer/group/ConsumerGroupCommand.java (getLag) with its ConsumerGroupServiceTest.
Each test names its upstream source. mqlab has no segment files (engine/kafka/log.py says
why), so the cases are about records and keys, not segments.
"""

from __future__ import annotations

from engine import Simulation

CHECK = 300  # log.retention.check.interval.ms, in seconds: when the cleaner runs


def compacted_topic(**config):
    sim = Simulation(seed=0)
    sim.kafka.create_topic("test", num_partitions=1,
                           config={"cleanup.policy": "compact", **config})
    return sim, sim.kafka.producer()


def keys_with_values(sim):
    """LogTestUtils.keysInLog: the keys of records that have a value (tombstones left out)."""
    return [r.key for r in sim.kafka.partition(("test", 0)).log.records() if r.value is not None]


def test_cleaning_keeps_the_last_value_of_each_key():
    """LogCleanerTest.testCleanSegments: keys 0..19 each once, then newer values for keys 1, 3,
    5, 7 and 9; cleaning removes exactly the older records of those keys."""
    sim, producer = compacted_topic()
    for key in range(20):
        producer.send("test", key=str(key), value=str(key))
    for key in (1, 3, 5, 7, 9):
        producer.send("test", key=str(key), value=f"{key}-new")
    sim.advance(CHECK)
    remaining = [str(k) for k in range(20) if k not in (1, 3, 5, 7, 9)]
    assert keys_with_values(sim) == remaining + ["1", "3", "5", "7", "9"]


def test_cleaning_with_deletes_removes_every_deleted_key():
    """LogCleanerTest.testCleaningWithDeletes: keys 0..N, tombstones for the even keys, then
    more unique keys; after cleaning no deleted key has a value left."""
    sim, producer = compacted_topic()
    for key in range(30):
        producer.send("test", key=str(key), value=str(key))
    for key in range(0, 30, 2):
        producer.send("test", key=str(key), value=None)
    for key in range(30, 40):
        producer.send("test", key=str(key), value=str(key))
    sim.advance(CHECK)
    assert not {str(k) for k in range(0, 30, 2)} & set(keys_with_values(sim))
    assert set(keys_with_values(sim)) == {str(k) for k in range(1, 40) if k >= 30 or k % 2}


def test_a_tombstone_is_kept_by_the_cleaning_that_first_sees_it():
    """LogCleanerTest.testCleanTombstone: the first cleaning keeps a tombstone (it starts the
    delete horizon, KIP-534), and so does the next one within delete.retention.ms. With
    delete.retention.ms of 400 s and cleanings every 300 s, a tombstone written at 0 s is
    first cleaned at 300 s, so it stays at 600 s and goes at 900 s (700 s is its horizon)."""
    sim, producer = compacted_topic(**{"delete.retention.ms": 400_000})
    producer.send("test", key="0", value="0")
    producer.send("test", key="0", value=None)

    def offsets():
        return [r.offset for r in sim.kafka.partition(("test", 0)).log.records()]

    sim.advance(CHECK)
    assert offsets() == [1]
    sim.advance(CHECK)
    assert offsets() == [1], "the tombstone should be retained"
    sim.advance(CHECK)
    assert offsets() == []


def test_lag_is_log_end_offset_minus_committed_offset():
    """ConsumerGroupCommand.getLag (ConsumerGroupServiceTest.testAdminRequestsForDescribe
    NegativeOffsets's setting: end offset 100): lag = end - committed; a partition the group
    never committed has no offset and no lag."""
    sim = Simulation(seed=0)
    sim.kafka.create_topic("testTopic1", num_partitions=3)
    producer = sim.kafka.producer()
    for partition in range(3):
        producer.send_batch("testTopic1", [{"value": "x", "partition": partition}] * 100)
    consumer = sim.kafka.consumer(group_id="group")
    consumer.subscribe(["testTopic1"])
    consumer.poll()
    consumer.commit({("testTopic1", 1): 100, ("testTopic1", 2): 40})
    assert [sim.kafka.lag("group", ("testTopic1", p)) for p in range(3)] == [None, 0, 60]


def test_lag_is_negative_when_the_group_committed_past_the_end():
    """ConsumerGroupCommand.getLag subtracts without clamping: a group that committed offset
    120 on a partition ending at 100 shows a lag of -20."""
    sim = Simulation(seed=0)
    sim.kafka.create_topic("t", num_partitions=1)
    sim.kafka.producer().send_batch("t", ["x"] * 100)
    consumer = sim.kafka.consumer(group_id="g")
    consumer.subscribe(["t"])
    consumer.poll()
    consumer.commit({("t", 0): 120})
    assert sim.kafka.lag("g", ("t", 0)) == -20
