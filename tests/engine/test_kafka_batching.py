"""Producer batching and what a failed batch costs (engine/kafka/producer.py).

Sources: Kafka's producer configs (kafka.apache.org/documentation/#producerconfigs) "linger.ms"
("the producer groups together any records that arrive in between request transmissions
into a single batched request ... up to the given delay") and "batch.size" ("a batch size
... in bytes; ... a batch is sent when it is full"); KafkaProducer javadoc for ``flush()``
("makes all buffered records immediately available to send") and ``send(...).get()``; the
Java Sender/ProducerBatch: a produce response carries one error per partition batch, so every
record of a refused batch fails with it; KIP-98 idempotent producer: a retried batch is
recognised whole by its producer id and sequence numbers; TransactionManager /
KafkaProducer.abortTransaction ("any unflushed produce messages will be aborted").
"""

from __future__ import annotations

import pytest

from engine import Simulation
from engine.invariants import budget_violations, conservation_violations
from engine.kafka import TERMINAL_KINDS
from engine.kafka.errors import (
    KafkaException,
    KafkaStorageException,
    LeaderNotAvailableException,
    TransactionAbortedException,
)
from engine.limits import Limits


def world(limits: Limits | None = None, partitions: int = 1, replication: int = 1):
    sim = Simulation(0, limits)
    events: list = []
    sim.subscribe(events.append)
    sim.kafka.create_topic("t", num_partitions=partitions, replication_factor=replication)
    return sim, events


def log_end(sim: Simulation, partition: int = 0) -> int:
    return sim.kafka.partition(("t", partition)).log.log_end


def test_with_linger_a_send_waits_in_its_batch_until_linger_ms_passes():
    """linger.ms: records sent within the delay travel together in one request."""
    sim, _ = world()
    producer = sim.kafka.producer(linger_ms=10)
    first, second = producer.send("t", "a", partition=0), producer.send("t", "b", partition=0)
    assert not first.is_done and log_end(sim) == 0
    sim.advance(0.01)
    assert first.succeeded() and second.succeeded()
    assert (first.get().offset, second.get().offset) == (0, 1)


def test_a_full_batch_goes_out_at_once_whatever_linger_ms_says():
    """batch.size: a batch that reaches batch.size bytes is sent without waiting."""
    sim, _ = world()
    producer = sim.kafka.producer(linger_ms=60_000, batch_size=4)
    producer.send("t", "ab", partition=0)
    assert log_end(sim) == 0
    producer.send("t", "cd", partition=0)  # 4 bytes: full
    assert log_end(sim) == 2


def test_flush_and_get_send_what_waits():
    """KafkaProducer.flush and Future.get: both make buffered records go now."""
    sim, _ = world()
    producer = sim.kafka.producer(linger_ms=1000)
    waiting = producer.send("t", "x", partition=0)
    assert waiting.get().offset == 0 and log_end(sim) == 1
    producer.send("t", "y", partition=0)
    producer.flush()
    assert log_end(sim) == 2


def test_a_refused_batch_fails_every_record_in_it_even_those_that_would_have_fitted():
    """ProducerBatch: one error per partition batch. The room holds 2 more messages; sent one
    by one, 2 of 3 records land; sent as one batch, none does."""
    sim, events = world(Limits(max_messages=2))
    one_by_one = sim.kafka.producer(client_id="single")
    one_by_one.send("t", "a", partition=0)
    one_by_one.send("t", "b", partition=0)
    with pytest.raises(KafkaStorageException):
        one_by_one.send("t", "c", partition=0)
    assert log_end(sim) == 2

    sim, events = world(Limits(max_messages=2))
    batched = sim.kafka.producer(client_id="batched")
    with pytest.raises(KafkaStorageException, match="batch of 3 record"):
        batched.send_batch("t", [{"value": v, "partition": 0} for v in "abc"])
    assert log_end(sim) == 0
    dropped = [e for e in events if e.kind == "dropped"]
    assert len(dropped) == 3 and all("fails together" in e.reason for e in dropped)
    assert conservation_violations(events, sim.locations(), terminal=TERMINAL_KINDS) == []
    assert budget_violations(sim) == []


def test_a_refused_batch_does_not_fail_the_batches_of_other_partitions():
    """The produce response has an error per partition: only the leaderless partition's batch
    fails."""
    sim, _ = world(partitions=2)
    dead = sim.kafka.partition(("t", 0)).leader
    assert sim.kafka.partition(("t", 1)).leader != dead
    sim.kafka.kill_broker(dead)
    producer = sim.kafka.producer(acks=1)
    with pytest.raises(LeaderNotAvailableException):
        producer.send_batch("t", [{"value": v, "partition": i % 2} for i, v in enumerate("abcd")])
    assert log_end(sim, 1) == 2


def test_a_lost_response_retries_the_whole_batch():
    """Without idempotence every record of the batch is written twice; with it the broker
    recognises the batch by its sequence numbers (KIP-98)."""
    for idempotent, expected in ((False, 4), (True, 2)):
        sim, events = world()
        producer = sim.kafka.producer(enable_idempotence=idempotent)
        sim.kafka.lose_produce_responses(1)
        producer.send_batch("t", [{"value": v, "partition": 0} for v in "ab"])
        assert log_end(sim) == expected
        assert conservation_violations(events, sim.locations(), terminal=TERMINAL_KINDS) == []


def test_commit_sends_waiting_batches_and_abort_fails_them():
    """KafkaProducer.commitTransaction flushes; abortTransaction aborts unflushed records."""
    sim, _ = world()
    producer = sim.kafka.producer(transactional_id="t1", linger_ms=1000)
    producer.init_transactions()
    producer.begin_transaction()
    kept = producer.send("t", "kept", partition=0)
    producer.commit_transaction()
    assert kept.get().offset == 0
    producer.begin_transaction()
    dropped = producer.send("t", "never sent", partition=0)
    producer.abort_transaction()
    assert isinstance(dropped.exception, TransactionAbortedException)
    assert [r.control for r in sim.kafka.partition(("t", 0)).log.records()] == [None, "commit"]


def test_a_refused_send_leaves_a_transaction_only_abortable():
    """TransactionManager: a failed produce moves the transaction to ABORTABLE_ERROR; sends
    and the commit are refused until abort_transaction."""
    sim, _ = world(Limits(max_messages=1))
    producer = sim.kafka.producer(transactional_id="t1")
    producer.init_transactions()
    producer.begin_transaction()
    producer.send("t", "fits", partition=0)
    with pytest.raises(KafkaStorageException):
        producer.send("t", "does not fit", partition=0)
    with pytest.raises(KafkaException, match="previous transactional or idempotent request"):
        producer.commit_transaction()
    assert producer.txn_state == "ABORTABLE_ERROR"
    with pytest.raises(KafkaStorageException):
        producer.abort_transaction()  # the marker does not fit the room either
    assert producer.txn_state == "ABORTABLE_ERROR"


def test_the_move_to_abortable_is_an_event():
    sim, events = world(Limits(max_messages=1))
    producer = sim.kafka.producer(transactional_id="t1")
    producer.init_transactions()
    producer.begin_transaction()
    producer.send("t", "fits", partition=0)
    with pytest.raises(KafkaStorageException):
        producer.send("t", "does not fit", partition=0)
    failed = [e for e in events if e.kind == "transaction-failed"]
    assert [e.details["error"] for e in failed] == ["KafkaStorageException"]
