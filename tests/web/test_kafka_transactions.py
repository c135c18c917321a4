"""Kafka transactions in the playground, as a learner drives them (mqlab/commands/kafka.py,
group "Transactions"): every command through ``Room.run_command``. The rules come from
KIP-98 and are tested in tests/engine/test_kafka_transactions.py; here the forms reach them,
refusals reach the learner under Kafka's names, and a client's picture stays exact."""

from __future__ import annotations

from mqlab.presets import find
from mqlab.rooms import Room, advance_to
from tests.web.playground import follow, fresh_snapshot, refused, run

C = "kafka:consumer:"


def room() -> Room:
    lab = Room("t", find("kafka-playground"), seed=1, owner="me")
    run(lab, "create_topic", name="orders", partitions=1, replication_factor=1)
    return lab


def wait(lab: Room, seconds: float) -> None:
    advance_to(lab.sim, lab.sim.now + seconds)


def processed(lab: Room, consumer: str) -> list[int]:
    return [e.details["offset"] for e in lab.history
            if e.kind == "side-effect" and e.source == C + consumer]


def readers(lab: Room, topic: str = "orders") -> None:
    for name, isolation in (("committed", "read_committed"), ("everything", "read_uncommitted")):
        run(lab, "add_consumer", name=name, group=name, topic=topic, processing_time=0.1,
            isolation_level=isolation)


def test_read_committed_consumer_skips_an_aborted_transaction_and_waits_for_an_open_one():
    lab = room()
    readers(lab)
    said = run(lab, "init_transactions", transactional_id="txn-1")
    assert said.startswith("producer 'txn-1-1' is ready with transactional.id 'txn-1'")
    run(lab, "begin_transaction", producer="txn-1-1")
    run(lab, "send_in_transaction", producer="txn-1-1", topic="orders", value="doomed {n}",
        count=2)
    wait(lab, 2)
    assert processed(lab, "committed") == []  # the open transaction holds the LSO at 0
    assert processed(lab, "everything") == [0, 1]
    run(lab, "abort_transaction", producer="txn-1-1")
    run(lab, "begin_transaction", producer="txn-1-1")
    run(lab, "send_in_transaction", producer="txn-1-1", topic="orders", value="kept")
    run(lab, "commit_transaction", producer="txn-1-1")
    wait(lab, 2)
    assert processed(lab, "committed") == [3]  # 2 is the ABORT marker, 4 the COMMIT marker
    assert processed(lab, "everything") == [0, 1, 3]
    contents = lab.sim.kafka.contents()
    markers = [m.get("marker") for m in contents["kafka:partition:orders/0"]["messages"]]
    assert markers == [None, None, "abort", None, "commit"]
    assert contents[C + "committed"]["isolation_level"] == "read_committed"


def test_a_second_init_fences_the_first_producer_and_its_commit_is_refused():
    lab = room()
    run(lab, "init_transactions", transactional_id="txn-1")
    run(lab, "begin_transaction", producer="txn-1-1")
    run(lab, "send_in_transaction", producer="txn-1-1", topic="orders", value="old")
    said = run(lab, "init_transactions", transactional_id="txn-1")
    assert said.endswith("txn-1-1 fenced: its next call fails")
    outcome = refused(lab, "commit_transaction", producer="txn-1-1")
    assert outcome.message.startswith("ProducerFencedException: ")
    kinds = [e.kind for e in lab.history]
    assert "producer-fenced" in kinds and "transaction-aborted" in kinds


def test_illegal_transitions_are_refused_under_kafkas_names():
    lab = room()
    run(lab, "init_transactions", transactional_id="t")
    outcome = refused(lab, "commit_transaction", producer="t-1")
    assert outcome.message.startswith("IllegalStateException: TransactionalId t: Invalid "
                                      "transition attempted from state READY to state "
                                      "COMMITTING_TRANSACTION")
    outcome = refused(lab, "send_in_transaction", producer="t-1", topic="orders", value="x")
    assert "Cannot call send in state READY" in outcome.message
    outcome = refused(lab, "begin_transaction", producer="nobody")
    assert (outcome.code, outcome.field) == ("bad-argument", "producer")


def test_offsets_sent_to_a_transaction_reach_the_group_only_on_commit():
    lab = room()
    run(lab, "init_transactions", transactional_id="t")
    run(lab, "begin_transaction", producer="t-1")
    run(lab, "send_offsets", producer="t-1", group="app", topic="orders", partition=0,
        offset=3)
    assert lab.sim.kafka.group("app").committed == {}
    run(lab, "commit_transaction", producer="t-1")
    assert lab.sim.kafka.group("app").committed == {("orders", 0): 3}


def test_close_aborts_the_open_transaction():
    lab = room()
    run(lab, "init_transactions", transactional_id="t")
    run(lab, "begin_transaction", producer="t-1")
    run(lab, "send_in_transaction", producer="t-1", topic="orders", value="x")
    assert run(lab, "close_producer", producer="t-1").endswith("its open transaction was aborted")
    assert refused(lab, "begin_transaction", producer="t-1").field == "producer"


def test_a_clients_picture_kept_by_batches_equals_a_fresh_snapshot_through_transactions():
    lab = room()
    lesson = [("add_consumer", {"name": "rc", "group": "g", "topic": "orders",
                                "isolation_level": "read_committed"}),
              ("init_transactions", {"transactional_id": "t"}),
              ("begin_transaction", {"producer": "t-1"}),
              ("send_in_transaction", {"producer": "t-1", "topic": "orders", "count": 3}),
              ("wait", 1), ("abort_transaction", {"producer": "t-1"}), ("wait", 1),
              ("init_transactions", {"transactional_id": "t"}), ("wait", 1)]
    assert follow(lab, lesson, strict=True).matches(fresh_snapshot(lab), clock=False)


def test_a_room_with_transactions_rebuilds_identically_from_its_command_log():
    lab = room()
    run(lab, "init_transactions", transactional_id="t")
    run(lab, "begin_transaction", producer="t-1")
    run(lab, "send_in_transaction", producer="t-1", topic="orders", value="v", count=2)
    run(lab, "commit_transaction", producer="t-1")
    wait(lab, 1)
    rebuilt = Room.from_record(type("R", (), {**lab.definition(), "id": "t"})())
    assert rebuilt.sim.snapshot() == lab.sim.snapshot()


def test_a_batch_the_room_cannot_hold_fails_whole_while_single_sends_land_until_full(settings):
    """engine/kafka/producer.py, batching: the produce form's "As one batch" is send_batch."""
    settings.MQLAB_MAX_MESSAGES = 3
    lab = room()
    outcome = refused(lab, "produce", topic="orders", value="v{n}", count=4, batched=True)
    assert outcome.message.startswith("KafkaStorageException: partition orders/0 cannot "
                                      "store the batch of 4 record(s)")
    assert lab.sim.kafka.partition(("orders", 0)).log.log_end == 0
    refused(lab, "produce", topic="orders", value="v{n}", count=4)
    assert lab.sim.kafka.partition(("orders", 0)).log.log_end == 3


def test_a_transactional_consumer_app_is_exactly_once_across_a_crash():
    """KIP-98 "Consume-transform-produce": the app crashes mid-transaction; started again
    under its name it fences the dead instance (its open transaction is aborted) and resumes
    from the offsets committed with the last transaction. No input is processed twice in
    what read_committed readers see, and the ledger records no duplicate side effect."""
    lab = room()
    run(lab, "create_topic", name="out", partitions=1, replication_factor=1)
    run(lab, "produce", topic="orders", value="order {n}", count=4)
    app = {"name": "etl", "group": "etl", "topic": "orders", "commit": "transactional",
           "output_topic": "out", "processing_time": 1, "max_poll_records": 2,
           "isolation_level": "read_committed"}
    run(lab, "add_consumer", **app)
    wait(lab, 3.5)  # offsets 0, 1 committed with their outputs; offset 2 in the open txn
    run(lab, "crash_consumer", consumer="etl")
    out = lab.sim.kafka.partition(("out", 0))
    assert out.last_stable_offset == 3  # two outputs and the COMMIT marker; then it waits
    wait(lab, 50)  # the group drops the crashed member after its session timeout
    run(lab, "add_consumer", **app)
    wait(lab, 5)
    readers(lab, topic="out")
    wait(lab, 2)
    committed = [e for e in lab.history if e.kind == "side-effect"
                 and e.source == C + "committed"]
    everything = [e for e in lab.history if e.kind == "side-effect"
                  and e.source == C + "everything"]
    assert len(committed) == 4  # each input's output once
    assert len(everything) == 5  # plus the aborted output of the crashed attempt
    assert not [e for e in lab.history if e.kind == "duplicate-side-effect"]
    assert lab.sim.kafka.group("etl").committed == {("orders", 0): 4}
