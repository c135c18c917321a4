"""Kafka transactions (engine/kafka/transactions.py), each case from a named source:

- KIP-98 "Exactly Once Delivery and Transactional Messaging" (cwiki.apache.org/confluence/
  display/KAFKA/KIP-98+-+Exactly+Once+Delivery+and+Transactional+Messaging), by section;
- apache/kafka core/src/test/scala/integration/kafka/api/TransactionsTest.scala (end to end
  against brokers), by test method;
- apache/kafka clients/src/test/java/org/apache/kafka/clients/producer/internals/
  TransactionManagerTest.java and the TransactionManager.State transition table;
- kafka-python's KafkaProducer docs (init_transactions, begin_transaction,
  send_offsets_to_transaction, commit_transaction, abort_transaction).
"""

from __future__ import annotations

import pytest

from engine import Simulation
from engine.invariants import budget_violations, conservation_violations
from engine.kafka import TERMINAL_KINDS
from engine.kafka.errors import (
    ConfigException,
    IllegalStateException,
    KafkaStorageException,
    ProducerFencedException,
)
from engine.limits import Limits

OUT0, OUT1 = ("out", 0), ("out", 1)


def world(seed: int = 0, limits: Limits | None = None) -> tuple[Simulation, list]:
    sim = Simulation(seed, limits)
    events: list = []
    sim.subscribe(events.append)
    sim.kafka.create_topic("in", num_partitions=1)
    sim.kafka.create_topic("out", num_partitions=2)
    return sim, events


def transactional(sim: Simulation, tid: str = "txn-1", **config):
    producer = sim.kafka.producer(transactional_id=tid, **config)
    producer.init_transactions()
    return producer


def reader(sim: Simulation, group: str, isolation: str, topic: str = "out"):
    consumer = sim.kafka.consumer(group, auto_offset_reset="earliest", enable_auto_commit=False,
                                  isolation_level=isolation)
    consumer.subscribe([topic])
    return consumer


def values(records) -> list:
    return sorted(r.value for r in records)


# -- KIP-98 "Transactional Guarantees"; TransactionsTest.testBasicTransactions ---------------
def test_aborted_records_are_invisible_to_read_committed_and_visible_to_read_uncommitted():
    """TransactionsTest.testBasicTransactions: one transaction committed, one aborted; the
    read_committed consumer gets only the committed records, read_uncommitted all of them."""
    sim, _ = world()
    producer = transactional(sim)
    producer.begin_transaction()
    producer.send("out", "committed-0", partition=0)
    producer.send("out", "committed-1", partition=1)
    producer.commit_transaction()
    producer.begin_transaction()
    producer.send("out", "aborted-0", partition=0)
    producer.send("out", "aborted-1", partition=1)
    producer.abort_transaction()

    committed = reader(sim, "committed", "read_committed").poll()
    uncommitted = reader(sim, "uncommitted", "read_uncommitted").poll()

    assert values(committed) == ["committed-0", "committed-1"]
    assert values(uncommitted) == ["aborted-0", "aborted-1", "committed-0", "committed-1"]


def test_read_uncommitted_is_the_default_isolation_level():
    """ConsumerConfig isolation.level: default read_uncommitted."""
    sim, _ = world()
    assert sim.kafka.consumer("g").isolation_level == "read_uncommitted"
    with pytest.raises(ConfigException):
        sim.kafka.consumer("g", isolation_level="serializable")


# -- KIP-98 "Transaction markers" (control messages) -----------------------------------------
def test_markers_take_an_offset_and_are_never_delivered():
    """KIP-98, "Transaction markers": a COMMIT or ABORT control message is written to each
    partition of the transaction; it has an offset, and the consumer never hands it to the
    application (it filters control records)."""
    sim, events = world()
    producer = transactional(sim)
    producer.begin_transaction()
    producer.send("out", "a", partition=0)
    producer.send("out", "b", partition=0)
    producer.commit_transaction()

    log = sim.kafka.partition(OUT0).log
    assert [(r.offset, r.value, r.control) for r in log.records()] == \
        [(0, "a", None), (1, "b", None), (2, None, "commit")]
    assert sim.kafka.partition(OUT1).log.log_end == 0  # no marker where the txn never wrote
    consumer = reader(sim, "g", "read_uncommitted")
    assert [r.value for r in consumer.poll()] == ["a", "b"]
    assert consumer.position(OUT0) == 3  # past the marker
    markers = [e for e in events if e.kind == "marker-written"]
    assert [(e.message_id, e.details["marker"]) for e in markers] == [("out/0@2", "commit")]


def test_a_transaction_emits_begun_markers_and_committed_in_order():
    """The diagram's view of KIP-98's commit: begun, the records, the markers, committed."""
    sim, events = world()
    producer = transactional(sim, client_id="app")
    producer.begin_transaction()
    producer.send("out", "x", partition=1)
    producer.abort_transaction()
    kinds = [e.kind for e in events if e.kind in {
        "transaction-begun", "produced", "appended", "marker-written", "transaction-aborted"}]
    assert kinds == ["transaction-begun", "produced", "appended", "marker-written",
                     "transaction-aborted"]
    aborted = events[-1]
    assert aborted.kind == "transaction-aborted"
    assert aborted.details["partitions"] == ["out/1"]


# -- KIP-98 "Last stable offset";
# TransactionsTest.testReadCommittedConsumerShouldNotSeeUndecidedData
def test_an_open_transaction_holds_the_last_stable_offset_so_read_committed_waits():
    """TransactionsTest.testReadCommittedConsumerShouldNotSeeUndecidedData: producer 1's
    transaction stays open while producer 2 commits after it on the same partition; a
    read_committed consumer sees nothing past producer 1's first record (the LSO) until
    producer 1 ends its transaction, while read_uncommitted reads everything."""
    sim, _ = world()
    first, second = transactional(sim, "t-1"), transactional(sim, "t-2")
    first.begin_transaction()
    first.send("out", "undecided", partition=0)
    second.begin_transaction()
    second.send("out", "decided", partition=0)
    second.commit_transaction()
    partition = sim.kafka.partition(OUT0)
    assert (partition.last_stable_offset, partition.high_watermark) == (0, 3)

    committed = reader(sim, "rc", "read_committed")
    uncommitted = reader(sim, "ru", "read_uncommitted")
    assert committed.poll() == []
    assert values(uncommitted.poll()) == ["decided", "undecided"]

    first.commit_transaction()
    assert partition.last_stable_offset == partition.high_watermark == 4
    assert values(committed.poll()) == ["decided", "undecided"]


def test_read_committed_latest_starts_at_the_last_stable_offset_and_lag_is_measured_to_it():
    """KIP-98 "Last stable offset": ListOffsets for read_committed answers the LSO (so
    auto.offset.reset=latest starts there), and a read_committed consumer's lag is to it."""
    sim, _ = world()
    producer = transactional(sim)
    producer.begin_transaction()
    producer.send("out", "open", partition=0)
    consumer = sim.kafka.consumer("rc", isolation_level="read_committed",
                                  enable_auto_commit=False)
    consumer.subscribe(["out"])
    consumer.poll()
    assert consumer.position(OUT0) == 0  # the LSO, not the high watermark 1
    consumer.commit({OUT0: 0})
    assert sim.kafka.lag("rc", OUT0) == 0
    producer.commit_transaction()
    assert sim.kafka.lag("rc", OUT0) == 2  # the record and its marker are below the LSO


# -- KIP-98 "Fencing"; TransactionsTest.testFencingOnCommit / testFencingOnSend --------------
def test_a_fenced_producers_commit_is_refused_and_its_records_are_aborted():
    """TransactionsTest.testFencingOnCommit: producer 2 with the same transactional.id calls
    initTransactions while producer 1's transaction is open; producer 1's commit raises
    ProducerFencedException, its records are aborted, and producer 2's committed records are
    all a read_committed consumer sees."""
    sim, events = world()
    old = transactional(sim, "shared", client_id="old")
    old.begin_transaction()
    old.send("out", "from-old", partition=0)
    new = transactional(sim, "shared", client_id="new")
    new.begin_transaction()
    new.send("out", "from-new", partition=0)
    new.commit_transaction()

    with pytest.raises(ProducerFencedException):
        old.commit_transaction()
    with pytest.raises(ProducerFencedException):  # fatal: every later call too
        old.abort_transaction()
    assert [r.value for r in reader(sim, "rc", "read_committed").poll()] == ["from-new"]
    assert new.producer_id == old.producer_id  # same id for the transactional id, new epoch
    fenced = [e for e in events if e.kind == "producer-fenced"]
    assert [e.source for e in fenced] == ["kafka:producer:old"]


def test_a_fenced_producer_that_was_ready_fails_on_its_next_send():
    """TransactionsTest.testFencingOnSend; begin_transaction is client-side in Kafka
    (TransactionManager.beginTransaction sends nothing), so the send is the first call that
    hears of the newer epoch."""
    sim, _ = world()
    old = transactional(sim, "shared")
    transactional(sim, "shared")
    old.begin_transaction()
    with pytest.raises(ProducerFencedException):
        old.send("out", "late", partition=0)
    assert sim.kafka.partition(OUT0).log.log_end == 0


def test_a_transaction_open_past_its_timeout_is_aborted_and_its_producer_fenced():
    """TransactionsTest.testFencingOnTransactionExpiration: transaction.timeout.ms passes,
    the coordinator aborts the transaction and bumps the epoch; the late commit fails and
    read_committed consumers never see the records."""
    sim, _ = world()
    producer = transactional(sim, transaction_timeout_ms=1000)
    producer.begin_transaction()
    producer.send("out", "too-slow", partition=0)
    sim.advance(1.5)
    with pytest.raises(ProducerFencedException):
        producer.commit_transaction()
    partition = sim.kafka.partition(OUT0)
    assert partition.last_stable_offset == partition.high_watermark == 2
    assert reader(sim, "rc", "read_committed").poll() == []


# -- TransactionManagerTest; TransactionManager.State.isTransitionValid -----------------------
def test_send_before_init_transactions_is_refused():
    """TransactionManagerTest.testFailIfNotReadyForSendNoProducerId."""
    sim, _ = world()
    producer = sim.kafka.producer(transactional_id="t")
    with pytest.raises(IllegalStateException, match="init_transactions"):
        producer.send("out", "x")
    assert sim.kafka.partition(OUT0).log.log_end == sim.kafka.partition(OUT1).log.log_end == 0


def test_send_outside_a_transaction_is_refused():
    """TransactionManagerTest.testFailIfNotReadyForSendNoOngoingTransaction."""
    sim, _ = world()
    producer = transactional(sim)
    with pytest.raises(IllegalStateException, match="Cannot call send in state READY"):
        producer.send("out", "x")


@pytest.mark.parametrize("call", ["commit_transaction", "abort_transaction"])
def test_ending_a_transaction_that_was_never_begun_is_an_illegal_transition(call):
    """State.isTransitionValid: COMMITTING / ABORTING only from IN_TRANSACTION; the refused
    call leaves the state as it was (kafka-python raises KafkaError here)."""
    sim, _ = world()
    producer = transactional(sim)
    with pytest.raises(IllegalStateException, match="Invalid transition attempted from state "
                       "READY"):
        getattr(producer, call)()
    assert producer.txn_state == "READY"
    producer.begin_transaction()  # still usable


def test_begin_twice_and_init_twice_are_illegal_transitions_that_change_nothing():
    """State.isTransitionValid: IN_TRANSACTION only from READY, INITIALIZING only from
    UNINITIALIZED."""
    sim, _ = world()
    producer = transactional(sim)
    producer.begin_transaction()
    with pytest.raises(IllegalStateException):
        producer.begin_transaction()
    with pytest.raises(IllegalStateException):
        producer.init_transactions()
    assert producer.txn_state == "IN_TRANSACTION"


def test_send_offsets_outside_a_transaction_is_refused():
    """TransactionManager.sendOffsetsToTransaction: "Cannot send offsets if a transaction is
    not in progress"."""
    sim, _ = world()
    producer = transactional(sim)
    with pytest.raises(IllegalStateException, match="not in progress"):
        producer.send_offsets_to_transaction({("in", 0): 1}, "g")


def test_transactional_calls_on_a_plain_producer_are_refused():
    """TransactionManager.ensureTransactional / KafkaProducer.throwIfNoTransactionManager."""
    sim, _ = world()
    with pytest.raises(IllegalStateException, match="non-transactional"):
        sim.kafka.producer().begin_transaction()


def test_a_transactional_producer_must_be_idempotent_with_acks_all():
    """ProducerConfig: "Cannot set a transactional.id without also enabling idempotence";
    idempotence needs acks=all."""
    sim, _ = world()
    with pytest.raises(ConfigException, match="idempotence"):
        sim.kafka.producer(transactional_id="t", enable_idempotence=False)
    with pytest.raises(ConfigException, match="acks"):
        sim.kafka.producer(transactional_id="t", acks=1)
    producer = transactional(sim)
    assert producer.idempotent and producer.producer_id > 0


def test_close_aborts_an_open_transaction():
    """Sender.run on a graceful close: "Aborting incomplete transaction due to shutdown"."""
    sim, _ = world()
    producer = transactional(sim)
    producer.begin_transaction()
    producer.send("out", "x", partition=0)
    producer.close()
    partition = sim.kafka.partition(OUT0)
    assert [r.control for r in partition.log.records()] == [None, "abort"]
    assert partition.last_stable_offset == 2


# -- KIP-98 "Consume-transform-produce"; TransactionsTest.testSendOffsetsWithGroupId --------
def test_offsets_sent_in_a_transaction_commit_only_when_it_commits():
    """TxnOffsetCommit (KIP-98): the group's offsets move at the COMMIT marker, not before,
    and an abort drops them."""
    sim, _ = world()
    producer = transactional(sim)
    producer.begin_transaction()
    producer.send_offsets_to_transaction({("in", 0): 5}, "app")
    assert "app" not in sim.kafka.groups or sim.kafka.groups["app"].committed == {}
    producer.abort_transaction()
    assert sim.kafka.group("app").committed == {}
    producer.begin_transaction()
    producer.send_offsets_to_transaction({("in", 0): 7}, "app")
    producer.commit_transaction()
    assert sim.kafka.group("app").committed == {("in", 0): 7}


def _process(consumer, producer, crash_before_commit: bool = False) -> None:
    """One turn of a read-process-write loop (KIP-98's consume-transform-produce)."""
    records = consumer.poll()
    if not records:
        return
    producer.begin_transaction()
    for record in records:
        producer.send("out", f"processed {record.value}", partition=0)
    producer.send_offsets_to_transaction({("in", 0): records[-1].offset + 1}, "app")
    if crash_before_commit:
        consumer.crash()  # the app dies: neither commit nor abort happens
        return
    producer.commit_transaction()


def test_read_process_write_is_exactly_once_across_a_crash():
    """TransactionsTest.testSendOffsetsWithGroupId and KIP-98 "Consume-transform-produce":
    the app crashes after writing its output and sending its offsets but before committing.
    Its replacement (same transactional.id) fences it, which aborts the half-done
    transaction; a restarted consumer resumes from the committed offsets and processes those
    inputs again, and a read_committed reader downstream sees each output exactly once."""
    sim, _ = world()
    source = sim.kafka.producer()
    for n in range(4):
        source.send("in", n)

    def app():
        consumer = sim.kafka.consumer("app", auto_offset_reset="earliest",
                                      enable_auto_commit=False, session_timeout_ms=1000,
                                      isolation_level="read_committed")
        consumer.subscribe(["in"])
        return consumer, transactional(sim, "app-txn")

    consumer, producer = app()
    first = consumer.poll(max_records=2)
    producer.begin_transaction()
    for record in first:
        producer.send("out", f"processed {record.value}", partition=0)
    producer.send_offsets_to_transaction({("in", 0): first[-1].offset + 1}, "app")
    producer.commit_transaction()
    _process(consumer, producer, crash_before_commit=True)  # inputs 2 and 3, not committed
    assert sim.kafka.group("app").committed == {("in", 0): 2}
    sim.advance(2)  # the session times out; the crashed member leaves the group

    consumer, producer = app()  # the restart: fences the old producer, aborts its work
    _process(consumer, producer)

    downstream = reader(sim, "downstream", "read_committed")
    assert sorted(r.value for r in downstream.poll()) == [
        f"processed {n}" for n in range(4)]
    everything = reader(sim, "debug", "read_uncommitted")
    assert sorted(r.value for r in everything.poll()) == sorted(
        [f"processed {n}" for n in range(4)] + ["processed 2", "processed 3"])
    assert sim.kafka.group("app").committed == {("in", 0): 4}


# -- engine/limits.py and engine/invariants.py ------------------------------------------------
def test_markers_count_against_the_room_and_a_commit_that_does_not_fit_changes_nothing():
    """Markers are records in the log, so they are held messages; a commit whose markers do
    not fit is refused (KAFKA_STORAGE_ERROR, retriable) and the transaction stays open."""
    sim, _ = world(limits=Limits(max_messages=2))
    producer = transactional(sim)
    producer.begin_transaction()
    producer.send("out", "a", partition=0)
    producer.send("out", "b", partition=1)
    with pytest.raises(KafkaStorageException):
        producer.commit_transaction()
    assert producer.txn_state == "IN_TRANSACTION"
    assert sim.held() == (2, 2)
    assert budget_violations(sim) == []


def test_transactions_keep_records_conserved_and_the_account_exact():
    sim, events = world()
    producer = transactional(sim)
    for commit in (True, False, True):
        producer.begin_transaction()
        producer.send("out", "v", partition=0)
        producer.send("out", "w", partition=1)
        producer.commit_transaction() if commit else producer.abort_transaction()
    transactional(sim, "other").begin_transaction()
    assert conservation_violations(events, sim.locations(), terminal=TERMINAL_KINDS) == []
    assert budget_violations(sim) == []
    assert sim.held()[0] == 12  # 6 records and 6 markers


def test_a_marker_waits_for_a_leader_and_the_lso_stays_held_until_then():
    """KIP-98 "Transaction markers": the coordinator writes the markers (WriteTxnMarkers) to
    each partition leader and retries until it succeeds; until the marker is written the
    partition's LSO stays at the transaction's first offset."""
    sim = Simulation(0)
    sim.kafka.create_topic("out", num_partitions=1, replication_factor=1)
    producer = transactional(sim)
    producer.begin_transaction()
    producer.send("out", "x", partition=0)
    partition = sim.kafka.partition(OUT0)
    leader = partition.leader
    sim.kafka.kill_broker(leader)
    producer.commit_transaction()
    assert partition.leader is None and partition.last_stable_offset == 0
    sim.kafka.restore_broker(leader)
    assert [r.control for r in partition.log.records()] == [None, "commit"]
    assert partition.last_stable_offset == partition.high_watermark == 2
    assert [r.value for r in reader(sim, "rc", "read_committed").poll()] == ["x"]
