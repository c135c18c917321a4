"""Retention by time and size, consumers that fall behind the log start, and compaction."""

import pytest

from engine import Simulation
from engine.kafka import InvalidRecordException


def topic(config, seed=0):
    sim = Simulation(seed=seed)
    events = []
    sim.subscribe(events.append)
    sim.kafka.create_topic("orders", num_partitions=1, config=config)
    return sim, events, sim.kafka.producer()


def offsets(sim):
    return [r.offset for r in sim.kafka.partition(("orders", 0)).log.records()]


def test_records_older_than_retention_ms_are_deleted_at_the_next_retention_check():
    sim, events, producer = topic({"retention.ms": 60_000})
    producer.send("orders", value="old")
    sim.advance(290)
    producer.send("orders", value="new")
    sim.advance(9)  # t=299: the old record is past retention, but no check has run yet
    assert offsets(sim) == [0, 1]
    sim.advance(1)  # the check at t=300 (log.retention.check.interval.ms); "new" is 10 s old
    assert offsets(sim) == [1]
    deleted = [e for e in events if e.kind == "retention-deleted"]
    assert [(e.message_id, e.at) for e in deleted] == [("orders/0@0", 300.0)]
    assert sim.kafka.describe_topic("orders")["partitions"][0]["log_start"] == 1
    sim.advance(300)
    assert offsets(sim) == []


def test_retention_bytes_keeps_the_log_near_its_size_limit():
    sim, events, producer = topic({"retention.bytes": 30})
    for i in range(6):
        producer.send("orders", value=f"{i:09d}")  # 9 bytes each, 54 in all
    sim.advance(300)
    # the oldest goes while the rest would still be >= 30 bytes: 54 -> 45 -> 36, then stop
    assert offsets(sim) == [2, 3, 4, 5]
    assert [e.message_id for e in events if e.kind == "retention-deleted"] == [
        "orders/0@0", "orders/0@1"]


def test_a_group_behind_the_log_start_jumps_forward_and_the_loss_is_visible():
    sim, events, producer = topic({"retention.ms": 1000})
    consumer = sim.kafka.consumer(group_id="slow", auto_offset_reset="earliest",
                                  enable_auto_commit=False)
    consumer.subscribe(["orders"])
    for i in range(3):
        producer.send("orders", value=i)
    assert len(consumer.poll(max_records=1)) == 1
    consumer.commit()
    sim.advance(300)
    producer.send("orders", value=3)
    records = consumer.poll()
    assert [r.offset for r in records] == [3]
    reset = [e for e in events if e.kind == "offset-reset"][-1]
    assert reset.details["from"] == 1 and reset.details["to"] == 3
    assert reset.details["skipped"] == 2 and "deleted by retention" in reset.reason


def test_compaction_keeps_the_latest_value_per_key():
    sim, events, producer = topic({"cleanup.policy": "compact"})
    for key, value in [("a", 1), ("b", 1), ("a", 2), ("c", 1), ("a", 3), ("b", 2)]:
        producer.send("orders", key=key, value=value)
    sim.advance(300)
    log = sim.kafka.partition(("orders", 0)).log.records()
    assert [(r.key, r.value, r.offset) for r in log] == [("c", 1, 3), ("a", 3, 4), ("b", 2, 5)]
    assert [e.message_id for e in events if e.kind == "compacted"] == [
        "orders/0@0", "orders/0@1", "orders/0@2"]


def test_a_consumer_reads_a_compacted_log_across_the_offset_gaps():
    sim, _, producer = topic({"cleanup.policy": "compact"})
    for key, value in [("a", 1), ("a", 2), ("b", 1)]:
        producer.send("orders", key=key, value=value)
    sim.advance(300)
    consumer = sim.kafka.consumer(group_id="g", auto_offset_reset="earliest")
    consumer.subscribe(["orders"])
    assert [(r.offset, r.value) for r in consumer.poll()] == [(1, 2), (2, 1)]


def test_a_tombstone_deletes_its_key_and_goes_itself_after_delete_retention_ms():
    sim, events, producer = topic({"cleanup.policy": "compact", "delete.retention.ms": 600_000})
    producer.send("orders", key="a", value="x")
    producer.send("orders", key="a", value=None)
    sim.advance(300)
    assert offsets(sim) == [1]  # the tombstone stays, so readers learn the key is gone
    sim.advance(600)
    assert offsets(sim) == []
    assert "tombstone" in [e for e in events if e.kind == "compacted"][-1].reason


def test_a_compacted_topic_refuses_records_without_a_key():
    sim, _, producer = topic({"cleanup.policy": "compact"})
    with pytest.raises(InvalidRecordException, match="without a key"):
        producer.send("orders", value="x")
    assert offsets(sim) == []


def test_a_seek_into_a_compaction_gap_reads_the_next_surviving_record():
    sim, _, producer = topic({"cleanup.policy": "compact"})
    for key in "abcab":
        producer.send("orders", key=key, value=key.upper())
    sim.advance(300)  # offsets 0 and 1 are superseded by 3 and 4
    consumer = sim.kafka.consumer(group_id="g", auto_offset_reset="earliest")
    consumer.subscribe(["orders"])
    consumer.poll()
    consumer.seek(("orders", 0), 1)
    assert [(r.offset, r.key) for r in consumer.poll()] == [(2, "c"), (3, "a"), (4, "b")]


def test_thousands_of_deleted_records_leave_offsets_readable():
    sim, _, producer = topic({"retention.bytes": 4000})
    producer.send_batch("orders", [f"{i:04d}" for i in range(3000)])  # 4 bytes each
    sim.advance(300)
    log = sim.kafka.partition(("orders", 0)).log
    assert (log.log_start, log.log_end, len(log)) == (2000, 3000, 1000)
    consumer = sim.kafka.consumer(group_id="g", auto_offset_reset="earliest")
    consumer.subscribe(["orders"])
    consumer.poll(max_records=1)
    consumer.seek(("orders", 0), 2500)
    assert [r.value for r in consumer.poll(max_records=2)] == ["2500", "2501"]
