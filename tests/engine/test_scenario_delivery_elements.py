"""The scenario elements that let a lesson show exactly-once, durability and ordering claims
happening: transactional producers and read-process-write consumers, a lost produce
response with and without idempotence, outbox services, RabbitMQ subscribers with exclusive
server-named queues, and adding partitions to a Kafka topic.

Sources, per test: KIP-98 "Exactly Once Delivery and Transactional Messaging" (idempotent
producer, transactions, read_committed, fencing); kafka-python's KafkaProducer
(enable_idempotence, transactional_id) and KafkaConsumer (isolation_level) docs; RabbitMQ's
"Queues" guide (Exclusive Queues, Server-named Queues); Kafka's documentation, "Modifying
topics" (adding partitions does not move existing data; a key may hash elsewhere);
microservices.io "Pattern: Transactional outbox".
"""

import copy

from hypothesis import given, settings
from hypothesis import strategies as st

from engine.events import TERMINAL
from engine.invariants import budget_violations, conservation_violations
from engine.kafka.events import TERMINAL_KINDS as KAFKA_TERMINAL
from engine.kafka.partitioner import hash_partition
from engine.scenario import Run, check, run
from engine.sqs import TERMINAL as SQS_TERMINAL


def kafka_spec(**extra):
    spec = {"title": "t", "description": "d", "duration": 30,
            "kafka": {"topics": [{"name": "payments"}]}}
    spec.update(copy.deepcopy(extra))
    return spec


def readers(topic="payments"):
    return [{"name": f"{level}-reader", "broker": "kafka", "topic": topic, "group": level,
             "auto_offset_reset": "earliest", "isolation_level": level}
            for level in ("read_committed", "read_uncommitted")]


def received(result, name):
    return result.summary["consumers"][name]["received"]


# -- transactions (KIP-98 "Transactional Guarantees"; KafkaConsumer isolation_level) ----------
def bank(count, size, abort_every=None, rate=True):
    producer = {"name": "bank", "broker": "kafka", "topic": "payments", "count": count,
                "transactions": {"transactional_id": "bank-tx", "size": size}}
    if abort_every is not None:
        producer["transactions"]["abort_every"] = abort_every
    if rate:
        producer["rate"] = {"kind": "steady", "per_second": 2}
    return producer


def test_aborted_transactions_reach_only_the_read_uncommitted_consumer():
    result = run(kafka_spec(producers=[bank(12, 2, abort_every=3)], consumers=readers()))
    # transactions 3 and 6 (records 5-6 and 11-12) end with abort_transaction()
    assert received(result, "read_committed-reader") == 8
    assert received(result, "read_uncommitted-reader") == 12
    assert result.summary["published"] == 12


def test_an_open_transaction_holds_read_committed_back_until_it_commits():
    # KIP-98 "Last stable offset": read_committed reads nothing past an open transaction.
    # The rate's sends come at t=0.5, 1, 1.5 and 2: at t=1.7 three are in the open transaction.
    spec = kafka_spec(producers=[bank(4, 4)], consumers=readers(), expect=[
        {"metric": "received", "of": "read_committed-reader", "op": "==", "value": 0, "at": 1.7},
        {"metric": "received", "of": "read_uncommitted-reader", "op": ">", "value": 0,
         "at": 1.7},
        {"metric": "received", "of": "read_committed-reader", "op": "==", "value": 4}])
    assert run(spec).ok


def test_the_abort_transaction_action_aborts_the_open_transaction_only():
    spec = kafka_spec(producers=[bank(6, 3)], consumers=readers(),
                      timeline=[{"at": 1.1, "do": "abort-transaction", "producer": "bank"}])
    result = run(spec)
    # records 1-2 (sent at t=0.5 and 1) were in the open transaction at t=1.1; the next
    # transaction is 3-5, and 6 is committed when the producer runs out
    assert received(result, "read_committed-reader") == 4
    assert received(result, "read_uncommitted-reader") == 6
    assert result.summary["producers"]["bank"]["rejected"] == 0


def test_a_transaction_still_open_when_the_producer_runs_out_is_committed():
    result = run(kafka_spec(producers=[bank(5, 2)], consumers=readers()))
    assert received(result, "read_committed-reader") == 5


@settings(max_examples=25, deadline=None)
@given(count=st.integers(1, 12), size=st.integers(1, 4), abort_every=st.integers(1, 4))
def test_read_committed_receives_exactly_the_records_of_committed_transactions(
        count, size, abort_every):
    result = run(kafka_spec(producers=[bank(count, size, abort_every)], consumers=readers()))
    transactions = [range(start, min(start + size, count))
                    for start in range(0, count, size)]
    committed = sum(len(t) for number, t in enumerate(transactions, 1)
                    if number % abort_every)
    assert received(result, "read_committed-reader") == committed
    assert received(result, "read_uncommitted-reader") == count


# -- read-process-write (KIP-98 "Fencing"; send_offsets_to_transaction) ---------------------
def pipeline(crash_at):
    return kafka_spec(
        duration=80,
        kafka={"topics": [{"name": "payments"}, {"name": "entries"}]},
        producers=[{"name": "bank", "broker": "kafka", "topic": "payments", "count": 6,
                    "rate": {"kind": "steady", "per_second": 1}}],
        consumers=[{"name": "enricher", "broker": "kafka", "topic": "payments",
                    "group": "enricher", "auto_offset_reset": "earliest", "processing": 0.5,
                    "side_effect_at": 0.5,
                    "transactional_output": {"topic": "entries", "transactional_id": "enr"}},
                   *readers("entries")],
        timeline=[{"at": crash_at, "do": "crash", "consumer": "enricher"},
                  {"at": crash_at + 1, "do": "restart", "consumer": "enricher"}])


def test_a_crash_mid_transaction_is_fenced_and_read_committed_sees_each_output_once():
    events = []
    result = run(pipeline(crash_at=3.35), listeners=[events.append])
    consumers = result.summary["consumers"]
    assert consumers["enricher"]["duplicates"] == 1  # it processed payment 4 twice
    assert consumers["read_committed-reader"]["duplicates"] == 0
    assert consumers["read_committed-reader"]["side_effects"] == 6
    assert consumers["read_uncommitted-reader"]["duplicates"] == 1
    kinds = [e.kind for e in events]
    assert kinds.count("producer-fenced") == 1 and "transaction-aborted" in kinds


def test_input_offsets_are_committed_by_the_transaction_not_before():
    # Offsets sent with send_offsets_to_transaction reach the group only on commit: after a
    # crash mid-transaction the group's lag still counts the record in hand.
    run_ = Run(pipeline(crash_at=3.35))
    run_.play(until=3.4)
    assert run_.measure("lag", "enricher") == 1
    run_.play()
    assert run_.measure("lag", "enricher") == 0


# -- idempotent producer (KIP-98 "Idempotent Producer"; kafka-python enable_idempotence) -----
def test_a_retried_send_duplicates_only_without_idempotence():
    spec = kafka_spec(
        kafka={"topics": [{"name": "a"}, {"name": "b"}]},
        producers=[{"name": "idem", "broker": "kafka", "topic": "a"},
                   {"name": "plain", "broker": "kafka", "topic": "b",
                    "enable_idempotence": False}],
        consumers=[{"name": "ra", "broker": "kafka", "topic": "a", "group": "ga",
                    "auto_offset_reset": "earliest"},
                   {"name": "rb", "broker": "kafka", "topic": "b", "group": "gb",
                    "auto_offset_reset": "earliest"}],
        timeline=[{"at": 1, "do": "lose-produce-response", "producer": "idem"},
                  {"at": 1, "do": "lose-produce-response", "producer": "plain"},
                  {"at": 2, "do": "publish", "producer": "idem", "count": 3},
                  {"at": 2, "do": "publish", "producer": "plain", "count": 3}])
    run_ = Run(spec)
    result = run_.play()
    assert (run_.depth("a"), run_.depth("b")) == (3, 4)
    consumers = result.summary["consumers"]
    assert (consumers["ra"]["duplicates"], consumers["rb"]["duplicates"]) == (0, 1)


def test_a_lost_response_applies_to_that_producer_only():
    spec = kafka_spec(
        producers=[{"name": "p", "broker": "kafka", "topic": "payments",
                    "enable_idempotence": False},
                   {"name": "q", "broker": "kafka", "topic": "payments",
                    "enable_idempotence": False}],
        timeline=[{"at": 1, "do": "lose-produce-response", "producer": "p"},
                  {"at": 2, "do": "publish", "producer": "q", "count": 2},
                  {"at": 3, "do": "publish", "producer": "p"}])
    run_ = Run(spec)
    run_.play()
    assert run_.depth("payments") == 4  # q's two, p's one and p's retry
    assert run_.sim.kafka.lost_responses_pending == 0


# -- the outbox (microservices.io "Pattern: Transactional outbox") --------------------------
def outbox_spec(mode):
    return {"title": "t", "description": "d", "duration": 20,
            "sqs": {"queues": [{"name": "events"}]},
            "outboxes": [{"name": "shop", "mode": mode, "queue": "events"}],
            "consumers": [{"name": "mailer", "broker": "sqs", "queue": "events"}],
            "timeline": [{"at": 1.1, "do": "place", "outbox": "shop", "count": 2},
                         {"at": 1.3, "do": "crash", "outbox": "shop"},
                         {"at": 5, "do": "restart", "outbox": "shop"}]}


def test_a_crash_between_commit_and_publish_loses_nothing_with_an_outbox():
    run_ = Run(outbox_spec("outbox"))
    result = run_.play()
    assert run_.measure("rows", "shop") == 2
    assert result.summary["consumers"]["mailer"]["side_effects"] == 2
    assert run_.recorder.kinds["work-lost"] == run_.recorder.kinds["orphan-event"] == 0


def test_naive_dual_writes_lose_an_event_or_send_a_phantom_one():
    commit_first = Run(outbox_spec("commit-first"))
    commit_first.play()
    assert commit_first.measure("rows", "shop") == 2
    assert commit_first.measure("side_effects", "mailer") == 0
    assert commit_first.recorder.kinds["work-lost"] == 2
    publish_first = Run(outbox_spec("publish-first"))
    publish_first.play()
    assert publish_first.measure("rows", "shop") == 0
    assert publish_first.measure("published", "shop") == 2
    assert publish_first.measure("side_effects", "mailer") == 2
    assert publish_first.recorder.kinds["orphan-event"] == 2


# -- exclusive server-named queues (RabbitMQ "Queues" guide, Exclusive Queues) -------------
SUBSCRIBERS = {
    "title": "t", "description": "d", "duration": 20,
    "rabbitmq": {"exchanges": [{"name": "news", "type": "fanout"}],
                 "queues": [{"name": "archive", "durable": True}],
                 "bindings": [{"queue": "archive", "exchange": "news"}]},
    "producers": [{"name": "desk", "broker": "rabbitmq", "exchange": "news",
                   "rate": {"kind": "steady", "per_second": 1}, "start": 1, "count": 10}],
    "consumers": [{"name": "live", "broker": "rabbitmq", "subscribe": {"exchange": "news"}},
                  {"name": "archiver", "broker": "rabbitmq", "queue": "archive"}],
    "timeline": [{"at": 3.5, "do": "stop-consumer", "consumer": "live"},
                 {"at": 3.5, "do": "stop-consumer", "consumer": "archiver"},
                 {"at": 6.5, "do": "start-consumer", "consumer": "live"},
                 {"at": 6.5, "do": "start-consumer", "consumer": "archiver"}],
}


def test_an_exclusive_queue_vanishes_with_its_connection_and_a_durable_one_keeps_messages():
    events = []
    result = run(SUBSCRIBERS, listeners=[events.append])
    consumers = result.summary["consumers"]
    assert consumers["live"]["received"] == 7  # alerts at t=4, 5 and 6 reached no queue of it
    assert consumers["archiver"]["received"] == 10
    declared = [e.reason for e in events if e.kind == "declared" and "exclusive" in e.reason]
    removed = [e.reason for e in events if e.kind == "removed" and "exclusive" in e.reason]
    assert len(declared) == 2 and all("amq.gen-" in text for text in declared)
    assert len(removed) == 1 and "its connection closed" in removed[0]
    assert result.summary["lost"] == 0  # nothing was lost from a queue: there was none


def test_a_subscriber_names_a_declared_exchange_and_cannot_use_delay_queues():
    spec = copy.deepcopy(SUBSCRIBERS)
    spec["consumers"][0].update(subscribe={"exchange": "nowhere"}, on_failure="retry")
    assert check(spec) == [
        ("$.consumers[0].subscribe.exchange", "unknown exchange 'nowhere'; defined: 'news'"),
        ("$.consumers[0].on_failure", "a subscriber's queue is server-named and new at each"
         " connection, so no delay queue can route back to it; use 'requeue', 'dead-letter'"
         " or 'drop'")]


# -- adding partitions (Kafka documentation, "Modifying topics") ----------------------------
def test_adding_partitions_moves_keys_and_breaks_their_order():
    keys = [f"acct-{n}" for n in range(1, 7)]
    moved = [k for k in keys if hash_partition(k.encode(), 2) != hash_partition(k.encode(), 4)]
    assert moved  # the rule the lesson relies on: murmur2(key) modulo the count changes
    spec = kafka_spec(
        duration=60, kafka={"topics": [{"name": "accounts", "partitions": 2}]},
        producers=[{"name": "bank", "broker": "kafka", "topic": "accounts", "count": 120,
                    "rate": {"kind": "steady", "per_second": 4},
                    "keys": {"kind": "cycle", "keys": keys}}],
        consumers=[{"name": n, "broker": "kafka", "topic": "accounts", "group": "ledger",
                    "auto_offset_reset": "earliest", "processing": 0.6, "batch": 5,
                    "side_effect": "ledger"} for n in ("ledger-a", "ledger-b")],
        timeline=[{"at": 10, "do": "add-partitions", "topic": "accounts", "partitions": 4}],
        expect=[{"metric": "out_of_order", "of": "ledger-a", "op": "==", "value": 0, "at": 10},
                {"metric": "out_of_order", "of": "ledger-a", "op": ">", "value": 0}])
    run_ = Run(spec)
    assert run_.play().ok
    assert len(run_.sim.kafka.topics["accounts"].partitions) == 4


def test_shrinking_a_topic_is_refused_as_kafka_refuses_it():
    events = []
    spec = kafka_spec(kafka={"topics": [{"name": "payments", "partitions": 3}]},
                      timeline=[{"at": 1, "do": "add-partitions", "topic": "payments",
                                 "partitions": 2}])
    run(spec, listeners=[events.append])
    [failed] = [e for e in events if e.kind == "action-failed"]
    assert "InvalidPartitionsException" in failed.reason or \
        "partitions can only be added" in failed.reason


def test_kafka_producer_actions_name_a_kafka_or_transactional_producer():
    spec = kafka_spec(
        rabbitmq={"queues": [{"name": "q"}]},
        producers=[{"name": "plain", "broker": "kafka", "topic": "payments"},
                   {"name": "rabbit", "broker": "rabbitmq", "routing_key": "q"}],
        timeline=[{"at": 1, "do": "abort-transaction", "producer": "plain"},
                  {"at": 1, "do": "lose-produce-response", "producer": "rabbit"},
                  {"at": 1, "do": "add-partitions", "topic": "ghost", "partitions": 2},
                  {"at": 1, "do": "place", "outbox": "nobody"}])
    assert check(spec) == [
        ("$.timeline[0].producer", "'plain' is not transactional: give it 'transactions'"
         " (a transactional_id)"),
        ("$.timeline[1].producer", "lose-produce-response acts on a Kafka producer; 'rabbit'"
         " is a rabbitmq producer"),
        ("$.timeline[2].topic", "unknown topic 'ghost'; defined: 'payments'"),
        ("$.timeline[3].outbox", "unknown outbox 'nobody'; defined: none is defined")]


def test_a_read_process_write_consumer_leaves_its_offsets_to_the_transaction():
    spec = pipeline(crash_at=3.35)
    spec["consumers"][0].update(guarantee="at-most-once", auto_commit=True)
    assert check(spec) == [
        ("$.consumers[0].guarantee", "a read-process-write consumer commits its offsets in the"
         " transaction after the work; use 'at-least-once' or 'effectively-once'"),
        ("$.consumers[0].auto_commit", "a read-process-write consumer commits its offsets in"
         " the transaction (send_offsets_to_transaction); turn auto_commit off")]


# -- the brokers' own accounting holds through all of it ------------------------------------
ENDS = {"rabbitmq": TERMINAL, "sqs": SQS_TERMINAL, "kafka": KAFKA_TERMINAL}


def test_every_new_element_keeps_each_brokers_conservation_and_budget():
    spec = kafka_spec(
        duration=40,
        kafka={"topics": [{"name": "payments", "partitions": 2}, {"name": "entries"}]},
        rabbitmq=copy.deepcopy(SUBSCRIBERS["rabbitmq"]),
        sqs={"queues": [{"name": "events"}]},
        outboxes=[{"name": "shop", "queue": "events"}],
        producers=[bank(8, 3, abort_every=2),
                   {"name": "plain", "broker": "kafka", "topic": "payments",
                    "enable_idempotence": False, "keys": {"kind": "cycle", "keys": ["a", "b"]}},
                   *copy.deepcopy(SUBSCRIBERS["producers"])],
        consumers=[{"name": "enricher", "broker": "kafka", "topic": "payments", "group": "e",
                    "auto_offset_reset": "earliest", "side_effect_at": 0.5,
                    "transactional_output": {"topic": "entries", "transactional_id": "enr"}},
                   *readers("entries"), *copy.deepcopy(SUBSCRIBERS["consumers"]),
                   {"name": "mailer", "broker": "sqs", "queue": "events"}],
        timeline=[*copy.deepcopy(SUBSCRIBERS["timeline"]),
                  {"at": 2, "do": "lose-produce-response", "producer": "plain"},
                  {"at": 2, "do": "publish", "producer": "plain", "count": 4},
                  {"at": 3, "do": "place", "outbox": "shop", "count": 3},
                  {"at": 3.2, "do": "crash", "outbox": "shop"},
                  {"at": 3.3, "do": "crash", "consumer": "enricher"},
                  {"at": 5, "do": "add-partitions", "topic": "payments", "partitions": 3},
                  {"at": 6, "do": "restart", "outbox": "shop"},
                  {"at": 6, "do": "restart", "consumer": "enricher"}])
    assert check(spec) == []
    events = []
    run_ = Run(spec, listeners=[events.append])
    run_.play()
    happened = {e.kind for e in events}
    assert {"transaction-aborted", "producer-fenced", "retried", "partitions-added",
            "outbox-relayed", "removed"} <= happened
    sim = run_.sim
    for broker, model in sim.brokers.items():
        mine = [e for e in events if e.broker == broker]
        assert conservation_violations(mine, model.locations(), ENDS[broker]) == [], broker
    assert budget_violations(sim) == []
