"""Kafka in the playground, as a learner drives it: every command through ``Room.run_command``
(the one path forms and the socket share), whole traces of rebalances and broker failures,
bad arguments named, presets that build and run, and a client's picture kept exact by
batches."""

from __future__ import annotations

import pytest

from engine.kafka import partition_for_key
from mqlab.presets import find
from mqlab.rooms import Room, advance_to
from tests.web.playground import follow, fresh_snapshot, refused, run

OWNER = "me"
P = "kafka:partition:"
C = "kafka:consumer:"
G = "kafka:group:"


def room(preset: str = "kafka-playground", seed: int = 1) -> Room:
    return Room("t", find(preset), seed=seed, owner=OWNER)


def wait(lab: Room, seconds: float) -> None:
    advance_to(lab.sim, lab.sim.now + seconds)


def since(lab: Room, seq: int, *kinds: str) -> list:
    return [e for e in lab.history if e.seq > seq and (not kinds or e.kind in kinds)]


def assignment(lab: Room, consumer: str) -> list[str]:
    return lab.sim.kafka.contents()[C + consumer]["assignment"]


def committed(lab: Room, partition: str, group: str):
    return lab.sim.kafka.contents()[P + partition]["groups"][group]["committed"]


def topic_room(partitions: int = 3, replication: int = 3, **configs) -> Room:
    lab = room()
    run(lab, "create_topic", name="orders", partitions=partitions,
        replication_factor=replication, **configs)
    return lab


# -- topics ----------------------------------------------------------------------------------

def test_create_topic_turns_form_fields_into_topic_configs_and_places_replicas():
    lab = room()
    said = run(lab, "create_topic", name="orders", partitions="3", replication_factor="2",
               min_insync_replicas="2", retention_ms="60000", cleanup_policy="delete")
    assert said.startswith("created topic 'orders': 3 partition(s), replication factor 2 with "
                           "min.insync.replicas=2, retention.ms=60000, cleanup.policy=delete; "
                           "leaders: P0 on broker ")
    described = lab.sim.kafka.describe_topic("orders")
    assert described["config"]["min.insync.replicas"] == 2
    assert described["config"]["retention.ms"] == 60000
    assert [len(p["replicas"]) for p in described["partitions"]] == [2, 2, 2]
    edges = [e for e in lab.sim.topology()["edges"] if e["kind"] == "replica"]
    assert len(edges) == 6
    assert sorted(e["label"] for e in edges) == ["follower"] * 3 + ["leader"] * 3


@pytest.mark.parametrize(("args", "field", "words"), [
    ({"name": "orders", "partitions": 0}, "partitions", "Partitions must be at least 1"),
    ({"name": "orders", "partitions": "three"}, "partitions", "must be a whole number"),
    ({"name": "orders", "config": "{not json"}, "config", "not valid JSON"),
    ({"name": "orders", "cleanup_policy": "shred"}, "cleanup_policy", "must be one of"),
    ({"partitions": 2}, "name", "Name is required"),
    ({"name": "orders", "colour": "red"}, "colour", "create_topic has no argument 'colour'"),
])
def test_create_topic_names_the_bad_field(args, field, words):
    outcome = refused(room(), "create_topic", **args)
    assert (outcome.code, outcome.field) == ("bad-argument", field)
    assert words in outcome.message


@pytest.mark.parametrize(("args", "words"), [
    ({"name": "orders", "replication_factor": 4},
     "InvalidReplicationFactorException: Replication factor: 4 larger than available brokers: 3"),
    ({"name": "bad name!"}, "InvalidTopicException: topic name 'bad name!' is not allowed"),
    ({"name": "orders", "config": '{"retention.minutes": 5}'},
     "InvalidConfigurationException: unknown topic config 'retention.minutes'"),
])
def test_create_topic_refusals_carry_kafkas_exception_name(args, words):
    lab = room()
    outcome = refused(lab, "create_topic", **args)
    assert outcome.code == "engine-error"
    assert outcome.message.startswith(words)
    assert lab.sim.kafka.list_topics() == []


def test_a_topic_that_exists_is_refused_and_left_as_it_was():
    lab = topic_room(partitions=2)
    outcome = refused(lab, "create_topic", name="orders", partitions=5)
    assert outcome.message == "TopicExistsException: Topic 'orders' already exists."
    assert len(lab.sim.kafka.topics["orders"].partitions) == 2


def test_add_partitions_grows_a_topic_and_never_shrinks_it():
    lab = topic_room(partitions=2)
    assert "now has 4 partitions" in run(lab, "add_partitions", topic="orders", total=4)
    outcome = refused(lab, "add_partitions", topic="orders", total=3)
    assert outcome.message.startswith("InvalidPartitionsException: Topic currently has 4 "
                                      "partitions")


def test_delete_topic_removes_its_records():
    lab = topic_room(partitions=1)
    run(lab, "produce", topic="orders", value="x {n}", count=3)
    seq = lab.sim.seq
    assert run(lab, "delete_topic", topic="orders") == "deleted topic 'orders' and its 3 record(s)"
    assert [e.kind for e in since(lab, seq)] == ["deleted"] * 3 + ["removed"]
    assert refused(lab, "delete_topic", topic="orders").field == "topic"


# -- producing -------------------------------------------------------------------------------

def test_keyed_records_land_on_the_partition_of_murmur2_of_their_key():
    lab = topic_room(partitions=4)
    for key in ("alice", "bob", "carol", "dave", "erin"):
        expected = partition_for_key(key.encode(), 4)
        said = run(lab, "produce", topic="orders", key=key, value=f"{key}'s order")
        assert said == f"sent to 'orders' by murmur2(key) % partitions: P{expected}@" + \
            str(len(lab.sim.kafka.topics["orders"].partitions[expected].log) - 1)
        appended = since(lab, 0, "appended")[-1]
        assert appended.target == f"{P}orders/{expected}"
        assert appended.details["key"] == key


def test_one_keys_records_stay_in_order_in_one_partition():
    lab = topic_room(partitions=3)
    run(lab, "produce", topic="orders", key="alice", value="step {n}", count=4)
    home = partition_for_key(b"alice", 3)
    records = lab.sim.kafka.contents()[f"{P}orders/{home}"]["messages"]
    assert [(r["offset"], r["key"], r["body"]) for r in records] == [
        (0, "alice", "step 1"), (1, "alice", "step 2"), (2, "alice", "step 3"),
        (3, "alice", "step 4")]


def test_produce_to_a_chosen_partition_with_headers():
    lab = topic_room(partitions=3)
    said = run(lab, "produce", topic="orders", value="v", partition=2,
               headers='{"source": "web"}')
    assert said == "sent to 'orders' by the partition you chose: P2@0"
    record = lab.sim.kafka.contents()[P + "orders/2"]["messages"][0]
    assert record["headers"] == {"source": "web"}


def test_produce_bad_arguments_are_named():
    lab = topic_room(partitions=3)
    outcome = refused(lab, "produce", topic="orders", value="v", partition=3)
    assert outcome.message == ("UnknownTopicOrPartitionException: Invalid partition given with "
                               "record: 3 is not in the range [0...3) of topic 'orders'")
    assert refused(lab, "produce", topic="payments", value="v").field == "topic"
    assert refused(lab, "produce", topic="orders", value="v", partition=-1).field == "partition"
    assert refused(lab, "produce", topic="orders", acks="2").field == "acks"
    assert refused(lab, "produce", topic="orders", count=0).field == "count"
    assert not since(lab, 0, "appended")


def test_changing_acks_starts_a_new_console_producer():
    lab = topic_room(partitions=1)
    run(lab, "produce", topic="orders", value="a")
    seq = lab.sim.seq
    run(lab, "produce", topic="orders", value="b", acks="1")
    assert [(e.kind, e.source) for e in since(lab, seq, "producer-removed", "producer-added")] \
        == [("producer-removed", "kafka:producer:you"), ("producer-added", "kafka:producer:you")]
    assert lab.sim.kafka.producers["you"].acks == "1"


def test_a_steady_producer_cycles_its_keys_and_stops_when_told():
    lab = topic_room(partitions=3)
    said = run(lab, "start_producer", name="crm", topic="orders", rate=2, keys="alice, bob",
               body="{key} #{seq}")
    assert said == "producer 'crm' sends 2 record(s)/s to 'orders' keyed by alice, bob (acks=all)"
    wait(lab, 2.1)
    sent = [(e.details["key"], e.details["value"], e.details["partition"])
            for e in since(lab, 0, "produced")]
    assert sent == [("alice", "alice #1", partition_for_key(b"alice", 3)),
                    ("bob", "bob #1", partition_for_key(b"bob", 3)),
                    ("alice", "alice #2", partition_for_key(b"alice", 3)),
                    ("bob", "bob #2", partition_for_key(b"bob", 3))]
    assert refused(lab, "start_producer", name="crm", topic="orders").field == "name"
    assert run(lab, "stop_producer", producer="crm") == \
        "producer 'crm' stopped after 4 accepted message(s)"
    wait(lab, 5)
    assert len(since(lab, 0, "produced")) == 4


def test_start_producer_refuses_a_bad_template_or_empty_keys():
    lab = topic_room()
    assert refused(lab, "start_producer", name="p", topic="orders", body="{colour}").field == \
        "body"
    assert refused(lab, "start_producer", name="p", topic="orders", keys=" , ").field == "keys"
    assert refused(lab, "start_producer", name="p", topic="nope").field == "topic"
    assert refused(lab, "stop_producer", producer="p").field == "producer"


# -- consumers and rebalances ------------------------------------------------------------------

def test_a_fourth_consumer_on_three_partitions_sits_idle():
    lab = room("kafka-consumer-group")
    assert [assignment(lab, f"billing-{n}") for n in (1, 2, 3, 4)] == [
        ["orders/0"], ["orders/1"], ["orders/2"], []]
    idle = [e for e in lab.history if e.kind == "assigned" and e.target == C + "billing-4"]
    assert idle[-1].reason == "billing-4 gets no partition and stays idle"


def test_adding_a_consumer_runs_an_eager_rebalance_step_by_step():
    lab = topic_room(partitions=4)
    run(lab, "add_consumer", name="a", group="g", topic="orders")
    run(lab, "add_consumer", name="b", group="g", topic="orders")
    seq = lab.sim.seq
    said = run(lab, "add_consumer", name="c", group="g", topic="orders")
    assert said == ("consumer 'c' joins group 'g' on orders (range, after-processing commits, "
                    "1s per record)")
    trace = [(e.kind, e.source, e.target, e.details.get("partitions"))
             for e in since(lab, seq, "joined", "rebalance-started", "revoked", "assigned",
                            "rebalance-completed")]
    assert trace == [
        ("joined", C + "c", G + "g", None),
        ("rebalance-started", G + "g", None, None),
        ("revoked", C + "a", G + "g", ["orders/0", "orders/1"]),
        ("revoked", C + "b", G + "g", ["orders/2", "orders/3"]),
        ("assigned", G + "g", C + "a", ["orders/0", "orders/1"]),
        ("assigned", G + "g", C + "b", ["orders/2"]),
        ("assigned", G + "g", C + "c", ["orders/3"]),
        ("rebalance-completed", G + "g", None, None),
    ]


def test_cooperative_sticky_moves_only_what_must_move_in_two_rebalances():
    lab = topic_room(partitions=4)
    for name in ("a", "b"):
        run(lab, "add_consumer", name=name, group="g", topic="orders",
            strategy="cooperative-sticky")
    seq = lab.sim.seq
    run(lab, "add_consumer", name="c", group="g", topic="orders", strategy="cooperative-sticky")
    revoked = [(e.source, e.details["partitions"]) for e in since(lab, seq, "revoked")]
    assert len(revoked) == 1  # one partition moves; nobody else gives anything up
    assert len(since(lab, seq, "rebalance-completed")) == 2
    assert sorted(len(assignment(lab, n)) for n in "abc") == [1, 1, 2]
    assert revoked[0][1] == assignment(lab, "c")


def test_a_member_with_another_strategy_is_refused_by_the_group():
    lab = topic_room()
    run(lab, "add_consumer", name="a", group="g", topic="orders")
    outcome = refused(lab, "add_consumer", name="b", group="g", topic="orders",
                      strategy="roundrobin")
    assert outcome.message.startswith("InconsistentGroupProtocolException: consumer b uses "
                                      "'roundrobin' but group 'g' uses 'range'")
    assert "b" not in lab.sim.kafka.consumers
    assert lab.lab.live_consumers() == ["a"]


def test_change_strategy_restarts_every_member_with_the_new_assignor():
    lab = topic_room(partitions=4)
    for name in ("a", "b"):
        run(lab, "add_consumer", name=name, group="g", topic="orders")
    said = run(lab, "change_strategy", group="g", strategy="roundrobin")
    assert said == ("group 'g': 2 member(s) restarted with roundrobin; the group rebalances "
                    "with the new assignor")
    completed = since(lab, 0, "rebalance-completed")[-1]
    assert completed.details["strategy"] == "roundrobin"
    assert (assignment(lab, "a"), assignment(lab, "b")) == (
        ["orders/0", "orders/2"], ["orders/1", "orders/3"])
    assert refused(lab, "change_strategy", group="nobody", strategy="range").field == "group"


def test_change_strategy_waits_for_crashed_members_to_time_out():
    lab = topic_room()
    for name in ("a", "b"):
        run(lab, "add_consumer", name=name, group="g", topic="orders")
    run(lab, "crash_consumer", consumer="b")
    outcome = refused(lab, "change_strategy", group="g", strategy="roundrobin")
    assert outcome.field == "group" and "crashed member(s) b" in outcome.message
    wait(lab, 46)
    run(lab, "change_strategy", group="g", strategy="roundrobin")


def test_close_commits_leaves_at_once_and_the_idle_consumer_takes_over():
    lab = room("kafka-consumer-group")
    wait(lab, 10)
    seq = lab.sim.seq
    said = run(lab, "close_consumer", consumer="billing-1")
    assert said == "consumer 'billing-1' committed, left group 'billing' and closed"
    started = since(lab, seq, "rebalance-started")[0]
    # a member busy with its batch rejoins at its next poll (AbstractCoordinator.java:
    # the join happens inside poll), so the rebalance waits for billing-3
    assert started.reason.endswith("it waits for billing-3 to rejoin at the next poll()")
    assert since(lab, seq, "rebalance-completed") == []
    wait(lab, 1)
    kinds = [e.kind for e in since(lab, seq) if e.kind in (
        "left", "consumer-removed", "rebalance-started", "revoked", "assigned",
        "rebalance-completed")]
    assert kinds[kinds.index("left"):kinds.index("rebalance-completed") + 1] == [
        "left", "consumer-removed", "rebalance-started", "revoked", "revoked",
        "assigned", "assigned", "assigned", "rebalance-completed"]
    assert [assignment(lab, f"billing-{n}") for n in (2, 3, 4)] == [
        ["orders/0"], ["orders/1"], ["orders/2"]]
    assert refused(lab, "close_consumer", consumer="billing-1").field == "consumer"


def test_a_crash_before_the_commit_makes_the_next_owner_process_records_twice():
    lab = topic_room(partitions=1)
    run(lab, "produce", topic="orders", value="order {n}", count=5)
    run(lab, "add_consumer", name="a", group="g", topic="orders", processing_time=1)
    run(lab, "add_consumer", name="b", group="g", topic="orders", processing_time=1)
    assert (assignment(lab, "a"), assignment(lab, "b")) == (["orders/0"], [])
    wait(lab, 2.5)  # a has processed offsets 0 and 1 of its poll of 5; nothing committed
    said = run(lab, "crash_consumer", consumer="a")
    assert "after the session timeout (45 s)" in said
    wait(lab, 44)
    assert assignment(lab, "b") == []  # the coordinator has not noticed yet
    wait(lab, 2)
    left = since(lab, 0, "left")[-1]
    assert left.source == C + "a" and "session.timeout.ms=45000" in left.reason
    assert assignment(lab, "b") == ["orders/0"]
    wait(lab, 6)
    effects = [(e.kind, e.source, e.details["offset"]) for e in lab.history
               if e.kind in ("side-effect", "duplicate-side-effect")]
    assert effects == [
        ("side-effect", C + "a", 0), ("side-effect", C + "a", 1),
        ("duplicate-side-effect", C + "b", 0), ("duplicate-side-effect", C + "b", 1),
        ("side-effect", C + "b", 2), ("side-effect", C + "b", 3), ("side-effect", C + "b", 4)]
    # b reads again all that a polled; only what a had processed is done twice.
    again = [e.details["offset"] for e in lab.history
             if e.kind == "delivered" and e.details["again"]]
    assert again == [0, 1, 2, 3, 4]
    assert committed(lab, "orders/0", "g") == 5


@pytest.mark.parametrize("strategy", ["range", "roundrobin", "cooperative-sticky"])
def test_committed_offsets_only_grow_through_rebalances_without_seeks(strategy):
    lab = room("kafka-consumer-group", seed=3)
    run(lab, "change_strategy", group="billing", strategy=strategy)
    steps = [("close_consumer", {"consumer": "billing-2"}),
             ("add_consumer", {"name": "late", "group": "billing", "topic": "orders",
                               "strategy": strategy, "processing_time": 0.2}),
             ("crash_consumer", {"consumer": "billing-3"}),
             ("add_consumer", {"name": "later", "group": "billing", "topic": "orders",
                               "strategy": strategy, "processing_time": 2})]
    for name, args in steps:
        wait(lab, 7)
        run(lab, name, **args)
    wait(lab, 60)
    last: dict[str, int] = {}
    for e in since(lab, 0, "committed"):
        assert e.details["offset"] >= last.get(e.details["partition"], 0), e.reason
        last[e.details["partition"]] = e.details["offset"]
    assert len(last) == 3


def test_a_partition_handed_back_is_not_committed_at_its_old_offset():
    lab = topic_room(partitions=2)
    run(lab, "add_consumer", name="a", group="g", topic="orders", processing_time=0.1)
    run(lab, "produce", topic="orders", value="v", partition=1, count=2)
    wait(lab, 1)
    assert committed(lab, "orders/1", "g") == 2
    run(lab, "add_consumer", name="b", group="g", topic="orders", processing_time=0.1)
    assert assignment(lab, "b") == ["orders/1"]
    run(lab, "produce", topic="orders", value="w", partition=1, count=3)
    wait(lab, 1)
    assert committed(lab, "orders/1", "g") == 5
    run(lab, "close_consumer", consumer="b")  # a owns both partitions again
    run(lab, "produce", topic="orders", value="x", partition=0)
    wait(lab, 1)
    assert (committed(lab, "orders/0", "g"), committed(lab, "orders/1", "g")) == (1, 5)


def test_auto_commit_commits_on_its_interval_even_between_polls():
    lab = topic_room(partitions=1)
    run(lab, "produce", topic="orders", value="v", count=3)
    run(lab, "add_consumer", name="a", group="g", topic="orders", commit="auto",
        processing_time=0.1)
    wait(lab, 4.9)
    assert committed(lab, "orders/0", "g") is None
    wait(lab, 0.2)
    commit = since(lab, 0, "committed")[-1]
    assert "auto-commit every 5000 ms" in commit.reason
    assert committed(lab, "orders/0", "g") == 3


def test_manual_commit_stores_the_position_and_lag_follows():
    lab = topic_room(partitions=1)
    run(lab, "produce", topic="orders", value="v", count=4)
    run(lab, "add_consumer", name="a", group="g", topic="orders", commit="manual",
        processing_time=0.5)
    wait(lab, 10)
    assert lab.sim.kafka.contents()[P + "orders/0"]["groups"]["g"] == {
        "committed": None, "lag": None}
    assert run(lab, "commit", consumer="a") == "'a' committed its positions: orders/0@4"
    assert lab.sim.kafka.contents()[P + "orders/0"]["groups"]["g"] == {"committed": 4, "lag": 0}
    run(lab, "produce", topic="orders", value="w", count=2)
    assert lab.sim.kafka.contents()[P + "orders/0"]["groups"]["g"]["lag"] == 2
    assert refused(lab, "commit", consumer="zed").field == "consumer"


def test_seek_to_beginning_replays_the_log_as_duplicates():
    lab = topic_room(partitions=1)
    run(lab, "produce", topic="orders", value="v", count=3)
    run(lab, "add_consumer", name="a", group="g", topic="orders", processing_time=0.1)
    run(lab, "add_consumer", name="idle", group="g", topic="orders")
    wait(lab, 2)
    assert refused(lab, "seek_to_beginning", consumer="idle").field == "consumer"
    seq = lab.sim.seq
    assert run(lab, "seek_to_beginning", consumer="a").startswith("'a' rewinds orders/0")
    wait(lab, 2)
    assert [(e.details["offset"], e.details["again"]) for e in since(lab, seq, "delivered")] == \
        [(0, True), (1, True), (2, True)]
    assert len(since(lab, seq, "duplicate-side-effect")) == 3


def test_seek_in_the_middle_of_a_poll_drops_the_rest_and_reads_from_the_start():
    lab = topic_room(partitions=1)
    run(lab, "produce", topic="orders", value="v", count=4)
    run(lab, "add_consumer", name="a", group="g", topic="orders", processing_time=1)
    wait(lab, 1.5)  # offset 0 processed, offset 1 in hand
    seq = lab.sim.seq
    run(lab, "seek_to_beginning", consumer="a")
    wait(lab, 4.5)
    assert [(e.kind, e.details["offset"]) for e in since(lab, seq, "side-effect",
                                                           "duplicate-side-effect")] == [
        ("duplicate-side-effect", 0), ("side-effect", 1), ("side-effect", 2),
        ("side-effect", 3)]


def test_retention_deletes_old_records_and_a_group_behind_skips_them():
    lab = topic_room(partitions=1, retention_ms=60000)
    run(lab, "produce", topic="orders", value="v{n}", count=5)
    run(lab, "add_consumer", name="slow", group="g", topic="orders", processing_time=100,
        max_poll_records=1)
    wait(lab, 320)  # the broker checks retention every 5 minutes
    deleted = since(lab, 0, "retention-deleted")
    assert [e.at for e in deleted] == [300.0] * 5
    skipped = since(lab, 0, "offset-reset")[-1]
    assert skipped.details == {"partition": "orders/0", "from": 3, "to": 5,
                               "strategy": "earliest", "skipped": 2, "group": "g"}
    processed = [e.details["offset"] for e in since(lab, 0, "side-effect")]
    assert processed == [0, 1, 2]  # offsets 3 and 4 were never processed
    assert lab.sim.kafka.contents()[P + "orders/0"]["counters"]["log_start"] == 5


def test_a_compacted_topic_refuses_a_record_without_a_key():
    lab = topic_room(partitions=1, cleanup_policy="compact")
    outcome = refused(lab, "produce", topic="orders", value="no key")
    assert outcome.message.startswith("InvalidRecordException: topic 'orders' is compacted")
    run(lab, "produce", topic="orders", key="k", value="kept")


def test_two_groups_read_one_topic_with_their_own_offsets():
    lab = room("kafka-two-groups")
    wait(lab, 30)
    groups = lab.sim.kafka.contents()[P + "payments/0"]["groups"]
    assert set(groups) == {"fraud-check", "analytics"}
    assert groups["fraud-check"]["lag"] < groups["analytics"]["lag"]
    fraud = {e.details["key"] for e in lab.history if e.kind == "side-effect"
             and e.details["group"] == "fraud-check"}
    analytics = {e.details["key"] for e in lab.history if e.kind == "side-effect"
                 and e.details["group"] == "analytics"}
    assert analytics and analytics <= fraud  # the same records, read by both groups


def test_keyed_ordering_preset_processes_each_keys_events_in_order():
    lab = room("kafka-keyed-ordering")
    wait(lab, 40)
    seen: dict[str, list[int]] = {}
    for e in lab.history:
        if e.kind == "delivered":
            key, number = e.details["value"].split(" event ")
            seen.setdefault(key, []).append(int(number))
    assert set(seen) == {"alice", "bob", "carol"}
    for numbers in seen.values():
        assert numbers == sorted(numbers) and len(numbers) > 5


# -- brokers ---------------------------------------------------------------------------------

def test_killing_a_leaders_broker_elects_an_in_sync_follower():
    lab = room("kafka-broker-failure")
    wait(lab, 3)
    leader = lab.sim.kafka.describe_topic("events")["partitions"][0]["leader"]
    seq = lab.sim.seq
    said = run(lab, "kill_broker", broker=str(leader))
    after = lab.sim.kafka.describe_topic("events")["partitions"][0]
    assert after["leader"] != leader and after["leader"] in after["isr"]
    assert f"events/0 -> broker {after['leader']}" in said
    trace = [(e.kind, e.source, e.target) for e in since(lab, seq)
             if e.kind in ("broker-down", "leader-elected")]
    assert trace[0] == ("broker-down", f"kafka:broker:{leader}", None)
    assert (f"kafka:broker:{leader}", f"kafka:broker:{after['leader']}") in \
        [(s, t) for kind, s, t in trace if kind == "leader-elected"]
    assert [e.details["isr"] for e in since(lab, seq, "isr-shrunk")] == [
        [b for b in p["replicas"] if b != leader]
        for p in lab.sim.kafka.describe_topic("events")["partitions"]]
    assert run(lab, "kill_broker", broker=str(leader)) == f"broker {leader} is already down"


def test_below_min_insync_replicas_acks_all_is_refused_and_acks_1_is_not():
    lab = room("kafka-broker-failure")
    run(lab, "kill_broker", broker="1")
    run(lab, "kill_broker", broker="2")
    outcome = refused(lab, "produce", topic="events", key="s1", value="v")
    assert outcome.message.startswith("NotEnoughReplicasException: partition events/")
    assert "fewer than min.insync.replicas=2" in outcome.message
    assert run(lab, "produce", topic="events", key="s1", value="v", acks="1").startswith(
        "sent to 'events' by murmur2(key)")
    wait(lab, 1)
    rejected = since(lab, 0, "publish-rejected")
    assert rejected and "[NotEnoughReplicasException]" in rejected[0].reason


def test_a_restored_broker_catches_up_and_rejoins_the_isr():
    lab = room("kafka-broker-failure")
    run(lab, "kill_broker", broker="3")
    wait(lab, 5)
    seq = lab.sim.seq
    assert run(lab, "restore_broker", broker="3").startswith("broker 3 is back")
    copied = [e for e in since(lab, seq, "replicated") if e.target == "kafka:broker:3"]
    assert copied  # the records it missed, copied from the leaders
    expanded = since(lab, seq, "isr-expanded")
    assert len(expanded) == 3 and all(3 in e.details["isr"] for e in expanded)
    assert refused(lab, "restore_broker", broker="4").field == "broker"


def test_lost_produce_responses_are_retried_without_duplicates_by_an_idempotent_producer():
    lab = topic_room(partitions=1)
    run(lab, "lose_responses", count=1)
    run(lab, "produce", topic="orders", value="once")
    retried = since(lab, 0, "retried")
    assert len(retried) == 1 and retried[0].details["duplicate"] is True
    assert len(lab.sim.kafka.topics["orders"].partitions[0].log) == 1


# -- presets and the stream ------------------------------------------------------------------

@pytest.mark.parametrize("slug", ["kafka-consumer-group", "kafka-two-groups",
                                  "kafka-keyed-ordering", "kafka-broker-failure"])
def test_each_preset_builds_runs_and_replays_identically(slug):
    first, second = room(slug, seed=5), room(slug, seed=5)
    for lab in (first, second):
        wait(lab, 20)
        run(lab, "crash_consumer", consumer=lab.lab.live_consumers()[0])
        wait(lab, 50)
    assert [e.to_dict() for e in first.history] == [e.to_dict() for e in second.history]
    kinds = {e.kind for e in first.history}
    assert {"produced", "appended", "replicated", "delivered", "committed",
            "rebalance-completed", "side-effect"} <= kinds
    rebuilt = Room.from_record(type("R", (), {**first.definition(), "id": "t"})())
    assert rebuilt.sim.snapshot() == first.sim.snapshot()


def test_every_command_is_in_the_forms_with_its_group():
    lab = room()
    groups = {g["name"]: [c["name"] for c in g["commands"]] for g in lab.command_groups()}
    assert groups == {
        "Records": ["produce", "start_producer", "stop_producer"],
        "Topics": ["create_topic", "add_partitions", "delete_topic"],
        "Consumers": ["add_consumer", "close_consumer", "change_strategy", "commit",
                      "seek_to_beginning"],
        "Transactions": ["init_transactions", "begin_transaction", "send_in_transaction",
                         "send_offsets", "commit_transaction", "abort_transaction",
                         "close_producer"],
        "Faults": ["crash_consumer", "kill_broker", "restore_broker", "lose_responses"],
    }


def test_a_clients_picture_kept_by_batches_equals_a_fresh_snapshot():
    lab = room("kafka-consumer-group")
    lesson = [("wait", 3), ("add_consumer", {"name": "late", "group": "billing",
                                             "topic": "orders"}),
              ("wait", 2), ("kill_broker", {"broker": "2"}), ("wait", 3),
              ("crash_consumer", {"consumer": "billing-2"}), ("wait", 50),
              ("restore_broker", {"broker": "2"}), ("wait", 2)]
    assert follow(lab, lesson, strict=True).matches(fresh_snapshot(lab), clock=False)
