"""Consumer groups: rebalances on join / leave / crash, strategies, idle extras, groups
reading independently, committed offsets, auto-commit, at-least-once, offset reset, replay."""

import pytest

from engine import Simulation
from engine.kafka import (
    CommitFailedException,
    InconsistentGroupProtocolException,
    NoOffsetForPartitionException,
    OffsetOutOfRangeException,
)
from engine.limits import Limits


def setup(partitions=4, seed=0):
    sim = Simulation(seed=seed)
    events = []
    sim.subscribe(events.append)
    sim.kafka.create_topic("orders", num_partitions=partitions)
    return sim, events


def member(sim, name, group="g", **options):
    options.setdefault("auto_offset_reset", "earliest")
    consumer = sim.kafka.consumer(group_id=group, client_id=name, **options)
    consumer.subscribe(["orders"])
    return consumer


def fill(sim, per_partition, partitions=4):
    producer = sim.kafka.producer()
    for i in range(per_partition):
        for p in range(partitions):
            producer.send("orders", value=f"p{p}-{i}", partition=p)


def kinds(events, *wanted):
    return [(e.kind, e.target) for e in events if e.kind in wanted]


def test_a_fourth_consumer_on_three_partitions_sits_idle():
    sim, events = setup(partitions=3)
    group = [member(sim, f"c{i}") for i in range(1, 5)]
    sim.advance(0)
    assert [len(c.assignment()) for c in group] == [1, 1, 1, 0]
    idle = [e for e in events if e.kind == "assigned" and e.target == "kafka:consumer:c4"]
    assert "idle" in idle[-1].reason and idle[-1].details["partitions"] == []


def test_joins_in_one_instant_make_one_rebalance():
    sim, events = setup()
    member(sim, "c1"), member(sim, "c2")
    sim.advance(0)
    assert [e.kind for e in events if "rebalance" in e.kind] == [
        "rebalance-started", "rebalance-completed"]


def test_join_revokes_everything_then_assigns_under_eager_range():
    sim, events = setup()
    c1 = member(sim, "c1")
    c1.poll()
    del events[:]
    member(sim, "c2")
    sim.advance(0)
    assert kinds(events, "rebalance-started", "revoked", "assigned", "rebalance-completed") == [
        ("rebalance-started", None), ("revoked", "kafka:group:g"),
        ("assigned", "kafka:consumer:c1"), ("assigned", "kafka:consumer:c2"),
        ("rebalance-completed", None)]
    assert c1.assignment() == [("orders", 0), ("orders", 1)]


def test_close_leaves_at_once_and_the_rest_take_over():
    sim, events = setup()
    c1, c2 = member(sim, "c1"), member(sim, "c2")
    sim.advance(0)
    del events[:]
    c2.close()
    sim.advance(0)
    assert c1.assignment() == [("orders", p) for p in range(4)]
    assert [(e.kind, e.source) for e in events if e.kind != "revoked"] == [
        ("left", "kafka:consumer:c2"), ("consumer-removed", "kafka:consumer:c2"),
        ("rebalance-started", "kafka:group:g"), ("assigned", "kafka:group:g"),
        ("rebalance-completed", "kafka:group:g")]


def test_crash_is_noticed_only_after_the_session_timeout():
    sim, events = setup()
    c1, c2 = member(sim, "c1"), member(sim, "c2", session_timeout_ms=10000)
    sim.advance(0)
    c2.crash()
    sim.advance(9.9)
    assert c1.assignment() == [("orders", 0), ("orders", 1)]
    sim.advance(0.1)
    assert c1.assignment() == [("orders", p) for p in range(4)]
    removed = [e for e in events if e.kind == "consumer-removed"]
    assert removed[-1].at == 10.0 and "session.timeout.ms=10000" in removed[-1].reason


def test_the_group_says_when_it_gives_up_on_a_crashed_member():
    """The drawing counts down "waiting for the session timeout (N s left)" from this."""
    sim, _ = setup()
    member(sim, "c1")
    c2 = member(sim, "c2", session_timeout_ms=10000)
    sim.advance(2)
    assert sim.kafka.groups["g"].describe()["session_expiries"] == {}
    c2.crash()
    assert sim.kafka.groups["g"].describe()["session_expiries"] == {"c2": 12.0}
    sim.advance(10)
    assert sim.kafka.groups["g"].describe()["session_expiries"] == {}


def test_crash_before_commit_makes_the_next_owner_read_the_records_again():
    sim, events = setup(partitions=1)
    c1 = member(sim, "c1", enable_auto_commit=False)
    fill(sim, 5, partitions=1)
    first = c1.poll(max_records=2)
    c1.commit()
    processed_not_committed = c1.poll()
    c1.crash()
    c2 = member(sim, "c2", enable_auto_commit=False)
    sim.advance(45)
    again = c2.poll()
    assert [r.offset for r in first] == [0, 1]
    assert [r.offset for r in processed_not_committed] == [2, 3, 4]
    assert [r.offset for r in again] == [2, 3, 4]  # duplicates: at-least-once
    marks = [(e.target, e.details["offset"], e.details["again"]) for e in events
             if e.kind == "delivered"]
    assert marks[-3:] == [("kafka:consumer:c2", offset, True) for offset in (2, 3, 4)]
    assert all(not again for _, _, again in marks[:-3])


def test_auto_commit_happens_on_its_interval_in_virtual_time():
    sim, events = setup(partitions=1)
    c1 = member(sim, "c1", auto_commit_interval_ms=5000)
    fill(sim, 3, partitions=1)
    c1.poll()
    sim.advance(4.9)
    assert c1.committed(("orders", 0)) is None
    sim.advance(0.1)
    assert c1.committed(("orders", 0)) == 3
    commit = [e for e in events if e.kind == "committed"][-1]
    assert commit.at == 5.0 and "auto-commit" in commit.reason


def test_rebalance_auto_commits_before_revoking_so_no_duplicates():
    # ConsumerCoordinator.java onJoinPrepare: maybeAutoCommitOffsetsSync before the revoke
    sim, _ = setup(partitions=2)
    c1 = member(sim, "c1")
    fill(sim, 2, partitions=2)
    assert len(c1.poll()) == 4
    c2 = member(sim, "c2")
    sim.advance(0)
    assert c1.poll() == []  # c1 rejoins from its next poll, committing first
    assert c1.committed(("orders", 1)) == 2
    assert c2.poll() == []


def test_join_waits_for_a_busy_member_to_finish_its_batch_so_nothing_is_read_twice():
    # A member rejoins only from poll() (AbstractCoordinator.java ensureActiveGroup), so a
    # join cannot land in the middle of the batch it is processing.
    sim, events = setup(partitions=2)
    c1 = member(sim, "c1", enable_auto_commit=False)
    sim.advance(0)
    fill(sim, 3, partitions=2)
    assert len(c1.poll()) == 6
    c2 = member(sim, "c2", enable_auto_commit=False)
    sim.advance(10)
    started = [e for e in events if e.kind == "rebalance-started"][-1]
    assert "waits for c1" in started.reason
    assert c1.assignment() == [("orders", 0), ("orders", 1)]  # still processing its batch
    assert c2.assignment() == []
    c1.commit()  # commitSync after the batch, then back to poll
    c1.poll()
    assert len(c1.assignment()) == len(c2.assignment()) == 1
    fill(sim, 1, partitions=2)
    again = [e for e in events if e.kind == "delivered" and e.details["again"]]
    assert [len(c.poll()) for c in (c1, c2)] == [1, 1] and again == []


def test_rebalance_waits_for_a_crashed_member_until_its_session_times_out():
    sim, events = setup(partitions=2)
    c1 = member(sim, "c1")
    c2 = member(sim, "c2")
    sim.advance(0)
    c2.crash()
    member(sim, "c3")
    sim.advance(44)
    assert sim.kafka.describe_group("g")["state"] == "PreparingRebalance"
    sim.advance(1)
    assert sim.kafka.describe_group("g")["state"] == "Stable"
    assert len(c1.assignment()) == 1


def test_member_that_never_rejoins_is_removed_after_the_rebalance_timeout():
    # the classic protocol's rebalance timeout is max.poll.interval.ms (default 300000)
    sim, _ = setup(partitions=2)
    c1 = member(sim, "c1")
    fill(sim, 1, partitions=2)
    c1.poll()
    c2 = member(sim, "c2")
    sim.advance(299)
    assert c2.assignment() == []
    sim.advance(1)
    members = sim.kafka.describe_group("g")["members"].values()
    assert [m["client_id"] for m in members] == ["c2"]
    assert len(c2.assignment()) == 2
    assert c1.poll() == []  # its next poll joins again, as a new member
    sim.advance(0)
    assert len(c1.assignment()) == len(c2.assignment()) == 1


def test_two_groups_read_the_same_topic_independently():
    sim, _ = setup(partitions=1)
    billing = member(sim, "billing-1", group="billing")
    shipping = member(sim, "shipping-1", group="shipping")
    fill(sim, 3, partitions=1)
    assert [r.value for r in billing.poll()] == ["p0-0", "p0-1", "p0-2"]
    billing.commit()
    assert [r.value for r in shipping.poll()] == ["p0-0", "p0-1", "p0-2"]
    assert shipping.committed(("orders", 0)) is None


def test_lag_is_log_end_minus_committed():
    sim, _ = setup(partitions=1)
    c1 = member(sim, "c1", enable_auto_commit=False)
    fill(sim, 5, partitions=1)
    c1.poll(max_records=2)
    c1.commit()
    groups = sim.snapshot()["contents"]["kafka:partition:orders/0"]["groups"]
    assert groups == {"g": {"committed": 2, "lag": 3}}


def test_latest_skips_what_was_there_and_earliest_reads_it():
    sim, _ = setup(partitions=1)
    fill(sim, 2, partitions=1)
    late = member(sim, "late", group="late", auto_offset_reset="latest")
    early = member(sim, "early", group="early", auto_offset_reset="earliest")
    assert late.poll() == [] and len(early.poll()) == 2
    sim.kafka.producer().send("orders", value="new", partition=0)
    assert [r.value for r in late.poll()] == ["new"]


def test_reset_none_without_committed_offset_raises():
    sim, _ = setup(partitions=1)
    consumer = member(sim, "c1", auto_offset_reset="none")
    with pytest.raises(NoOffsetForPartitionException, match="orders/0"):
        consumer.poll()


def test_seek_to_beginning_replays_the_partition():
    sim, events = setup(partitions=1)
    c1 = member(sim, "c1")
    fill(sim, 3, partitions=1)
    first = [r.offset for r in c1.poll()]
    c1.seek_to_beginning()
    assert [r.offset for r in c1.poll()] == first == [0, 1, 2]
    c1.seek(("orders", 0), 2)
    assert [r.offset for r in c1.poll()] == [2]
    assert [e.kind for e in events].count("seeked") == 2


def test_seek_to_end_skips_to_the_high_watermark():
    sim, _ = setup(partitions=1)
    c1 = member(sim, "c1")
    fill(sim, 3, partitions=1)
    c1.poll(max_records=1)
    c1.seek_to_end()
    assert c1.position(("orders", 0)) == 3 and c1.poll() == []


def test_seek_past_the_end_is_reset_on_the_next_poll_or_raises_with_none():
    sim, events = setup(partitions=1)
    c1 = member(sim, "c1")
    fill(sim, 3, partitions=1)
    c1.poll()
    c1.seek(("orders", 0), 99)
    assert [r.offset for r in c1.poll()] == [0, 1, 2]
    assert events[-4].kind == "offset-reset" and events[-4].details["to"] == 0
    strict = member(sim, "strict", group="strict", auto_offset_reset="none")
    sim.advance(0)
    strict.commit({("orders", 0): 0})
    strict.seek(("orders", 0), 99)
    with pytest.raises(OffsetOutOfRangeException, match="position 99 of orders/0"):
        strict.poll()


def test_cooperative_sticky_moves_only_what_must_move_in_two_rebalances():
    sim, events = setup(partitions=4)
    c1 = member(sim, "c1", partition_assignment_strategy="cooperative-sticky")
    sim.advance(0)
    fill(sim, 1)
    c1.poll()
    del events[:]
    c2 = member(sim, "c2", partition_assignment_strategy="cooperative-sticky")
    sim.advance(0)
    c1.poll()  # c1 was processing its batch: it rejoins from its next poll
    sim.advance(0)
    revoked = [e for e in events if e.kind == "revoked"]
    assert len(revoked) == 1 and revoked[0].source == "kafka:consumer:c1"
    assert len(revoked[0].details["partitions"]) == 2
    assert [e.kind for e in events].count("rebalance-completed") == 2
    assert len(c1.assignment()) == len(c2.assignment()) == 2
    # kept partitions keep their position; moved ones were auto-committed before the move
    assert [c1.position(tp) for tp in c1.assignment()] == [1, 1]
    assert [c2.position(tp) for tp in c2.assignment()] == [1, 1]


def test_a_poll_that_revokes_partitions_returns_no_record_of_them():
    # The Java client completes a rebalance inside poll() before fetching, and drops what was
    # fetched for a partition it no longer owns (ConsumerCoordinator.onJoinComplete revokes;
    # Fetcher/FetchCollector returns only records of assigned, fetchable partitions).
    sim, _ = setup(partitions=4)
    c1 = member(sim, "c1", partition_assignment_strategy="cooperative-sticky")
    sim.advance(0)
    fill(sim, 3)
    c1.poll(max_records=1)
    member(sim, "c2", partition_assignment_strategy="cooperative-sticky")
    sim.advance(0)
    records = c1.poll()  # rejoins: gives up two partitions, then fetches
    kept = set(c1.assignment())
    assert len(kept) == 2
    assert records and {(r.topic, r.partition) for r in records} <= kept


def test_members_must_share_a_strategy():
    sim, _ = setup()
    member(sim, "c1")
    with pytest.raises(InconsistentGroupProtocolException, match="'roundrobin'"):
        member(sim, "c2", partition_assignment_strategy="roundrobin")
    members = sim.kafka.describe_group("g")["members"].values()
    assert [m["client_id"] for m in members] == ["c1"]


def test_roundrobin_group_deals_partitions_in_turn():
    sim, _ = setup(partitions=4)
    c1 = member(sim, "c1", partition_assignment_strategy="roundrobin")
    c2 = member(sim, "c2", partition_assignment_strategy="roundrobin")
    sim.advance(0)
    assert c1.assignment() == [("orders", 0), ("orders", 2)]
    assert c2.assignment() == [("orders", 1), ("orders", 3)]


def test_adding_partitions_rebalances_the_group():
    sim, _ = setup(partitions=2)
    c1, c2 = member(sim, "c1"), member(sim, "c2")
    sim.advance(0)
    sim.kafka.create_partitions("orders", 4)
    sim.advance(0)
    assert c1.assignment() == [("orders", 0), ("orders", 1)]
    assert c2.assignment() == [("orders", 2), ("orders", 3)]


def test_a_crashed_consumer_cannot_commit_and_a_closed_one_cannot_poll():
    sim, _ = setup()
    c1, c2 = member(sim, "c1"), member(sim, "c2")
    sim.advance(0)
    c1.crash()
    with pytest.raises(Exception, match="crashed"):
        c1.commit()
    c2.close()
    with pytest.raises(Exception, match="already been closed"):
        c2.poll()


def test_commit_from_a_consumer_outside_the_group_fails():
    sim, _ = setup()
    loner = sim.kafka.consumer(group_id="g", client_id="loner")
    with pytest.raises(CommitFailedException, match="loner"):
        loner.commit()


def test_consumer_contents_list_what_it_polled_since_the_last_commit():
    sim, _ = setup(partitions=1)
    c1 = member(sim, "c1", enable_auto_commit=False)
    fill(sim, 5, partitions=1)
    c1.poll(max_records=2)
    c1.commit()
    c1.poll()
    contents = sim.snapshot()["contents"]["kafka:consumer:c1"]
    assert [m["id"] for m in contents["messages"]] == ["orders/0@2", "orders/0@3", "orders/0@4"]
    assert contents["counters"] == {"assigned": 1, "uncommitted": 3}
    c1.commit()
    assert sim.snapshot()["contents"]["kafka:consumer:c1"]["messages"] == []


def test_group_join_costs_linear_work_in_the_group_size(monkeypatch):
    """Issue 9: each join compared every member with every ready member (members² per join;
    joins 900-1,000 took 4.8 s). Count consumer comparisons: a join may look at each member
    a bounded number of times, never at each pair."""
    from engine.kafka.consumer import Consumer

    # Past the room budget's consumer cap: the engine itself must stay linear at any size.
    sim = Simulation(seed=0, limits=Limits(max_consumers=5000))
    sim.kafka.create_topic("orders", num_partitions=12)
    members = [member(sim, f"c{i}", partition_assignment_strategy="roundrobin")
               for i in range(2000)]
    sim.advance(0)  # 2,000 joins at one instant: one rebalance
    comparisons = []

    def counted_eq(self, other):
        comparisons.append(1)
        assert len(comparisons) <= 4 * len(members), "a join compared members pairwise"
        return self is other

    monkeypatch.setattr(Consumer, "__eq__", counted_eq)
    for i in range(10):  # ten more joins, each completing its own rebalance
        members.append(member(sim, f"late{i}", partition_assignment_strategy="roundrobin"))
        sim.advance(0)
    owners = [m for m in members if m.assignment()]
    assert len(owners) == 12
    assert sorted(tp for m in owners for tp in m.assignment()) == [
        ("orders", p) for p in range(12)]
    assert sim.kafka.groups["g"].generation == 11
