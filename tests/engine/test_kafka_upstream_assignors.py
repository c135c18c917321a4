"""Kafka's own assignor test cases, ported: inputs and expected assignments from apache/kafka
clients/src/test/java/org/apache/kafka/clients/consumer/{RangeAssignorTest,
RoundRobinAssignorTest, CooperativeStickyAssignorTest}.java and
consumer/internals/AbstractStickyAssignorTest.java (the cases CooperativeStickyAssignorTest
inherits). Each test names its upstream class and method. Racks, static membership and
generations are not modelled: where an upstream test has a rack-aware variant, the case here
is its "no rack" expectation.
"""

from __future__ import annotations

import random

import pytest

from engine.kafka.assignors import TopicPartition, assign, java_hashmap_order


def tps(text: str) -> list[TopicPartition]:
    """'t1-0, t2-1' -> the partitions, as Kafka's tests write them."""
    out = []
    for item in filter(None, (part.strip() for part in text.split(","))):
        topic, _, partition = item.rpartition("-")
        out.append(TopicPartition(topic, int(partition)))
    return sorted(out)


def as_text(assignment: dict[str, list[TopicPartition]]) -> dict[str, list[TopicPartition]]:
    return {member: sorted(parts) for member, parts in assignment.items()}


def numbered(*lists: list[str]) -> dict[str, list[str]]:
    """consumer0, consumer1, ... as AbstractPartitionAssignorTest.verifyRackAssignment names
    them."""
    return {f"consumer{i}": topics for i, topics in enumerate(lists)}


# -- RangeAssignorTest and RoundRobinAssignorTest: the cases both share --------------------
SHARED = [
    # (upstream method, subscriptions, partitions per topic, range expected, roundrobin expected)
    ("testOneConsumerNoTopic", {"consumer": []}, {}, {"consumer": ""}, {"consumer": ""}),
    ("testOneConsumerNonexistentTopic", {"consumer": ["topic"]}, {}, {"consumer": ""},
     {"consumer": ""}),
    ("testOneConsumerOneTopic", {"consumer": ["topic"]}, {"topic": 3},
     {"consumer": "topic-0, topic-1, topic-2"}, {"consumer": "topic-0, topic-1, topic-2"}),
    ("testOnlyAssignsPartitionsFromSubscribedTopics", {"consumer": ["topic"]},
     {"topic": 3, "other": 3}, {"consumer": "topic-0, topic-1, topic-2"},
     {"consumer": "topic-0, topic-1, topic-2"}),
    ("testOneConsumerMultipleTopics", {"consumer": ["topic1", "topic2"]},
     {"topic1": 1, "topic2": 2}, {"consumer": "topic1-0, topic2-0, topic2-1"},
     {"consumer": "topic1-0, topic2-0, topic2-1"}),
    ("testTwoConsumersOneTopicOnePartition", {"consumer1": ["topic"], "consumer2": ["topic"]},
     {"topic": 1}, {"consumer1": "topic-0", "consumer2": ""},
     {"consumer1": "topic-0", "consumer2": ""}),
    ("testTwoConsumersOneTopicTwoPartitions", {"consumer1": ["topic"], "consumer2": ["topic"]},
     {"topic": 2}, {"consumer1": "topic-0", "consumer2": "topic-1"},
     {"consumer1": "topic-0", "consumer2": "topic-1"}),
    ("testMultipleConsumersMixedTopics",
     {"consumer1": ["topic1"], "consumer2": ["topic1", "topic2"], "consumer3": ["topic1"]},
     {"topic1": 3, "topic2": 2},
     {"consumer1": "topic1-0", "consumer2": "topic1-1, topic2-0, topic2-1",
      "consumer3": "topic1-2"},
     {"consumer1": "topic1-0", "consumer2": "topic1-1, topic2-0, topic2-1",
      "consumer3": "topic1-2"}),
    ("testTwoConsumersTwoTopicsSixPartitions (RoundRobin: testTwoDynamicConsumersTwoTopicsSix"
     "Partitions)",
     {"consumer1": ["topic1", "topic2"], "consumer2": ["topic1", "topic2"]},
     {"topic1": 3, "topic2": 3},
     {"consumer1": "topic1-0, topic1-1, topic2-0, topic2-1", "consumer2": "topic1-2, topic2-2"},
     {"consumer1": "topic1-0, topic1-2, topic2-1", "consumer2": "topic1-1, topic2-0, topic2-2"}),
]


@pytest.mark.parametrize("name, subs, counts, expected, _", SHARED, ids=[c[0] for c in SHARED])
def test_range_assignor_cases(name, subs, counts, expected, _):
    """RangeAssignorTest.<name> (the RackConfig.NO_CONSUMER_RACK run)."""
    assert as_text(assign("range", subs, counts)) == {m: tps(t) for m, t in expected.items()}


@pytest.mark.parametrize("name, subs, counts, _, expected", SHARED, ids=[c[0] for c in SHARED])
def test_roundrobin_assignor_cases(name, subs, counts, _, expected):
    """RoundRobinAssignorTest.<name>."""
    assert as_text(assign("roundrobin", subs, counts)) == {m: tps(t) for m, t in expected.items()}


# -- RangeAssignorTest: the rack-aware tests' "no rack" expectations -----------------------
ALL3 = ["t1", "t2", "t3"]
RANGE_NO_RACK = [
    ("testRackAwareAssignmentWithUniformSubscription", {"t1": 6, "t2": 7, "t3": 2},
     [ALL3, ALL3, ALL3],
     ["t1-0, t1-1, t2-0, t2-1, t2-2, t3-0", "t1-2, t1-3, t2-3, t2-4, t3-1",
      "t1-4, t1-5, t2-5, t2-6"]),
    ("testRackAwareAssignmentWithNonEqualSubscription", {"t1": 6, "t2": 7, "t3": 2},
     [ALL3, ALL3, ["t1", "t3"]],
     ["t1-0, t1-1, t2-0, t2-1, t2-2, t2-3, t3-0", "t1-2, t1-3, t2-4, t2-5, t2-6, t3-1",
      "t1-4, t1-5"]),
    ("testRackAwareAssignmentWithUniformPartitions", {"t1": 5, "t2": 5, "t3": 5},
     [ALL3, ALL3, ALL3],
     ["t1-0, t1-1, t2-0, t2-1, t3-0, t3-1", "t1-2, t1-3, t2-2, t2-3, t3-2, t3-3",
      "t1-4, t2-4, t3-4"]),
    ("testRackAwareAssignmentWithUniformPartitionsNonEqualSubscription",
     {"t1": 5, "t2": 5, "t3": 5}, [ALL3, ALL3, ["t1", "t3"]],
     ["t1-0, t1-1, t2-0, t2-1, t2-2, t3-0, t3-1", "t1-2, t1-3, t2-3, t2-4, t3-2, t3-3",
      "t1-4, t3-4"]),
    ("testRackAwareAssignmentWithCoPartitioning", {"t1": 6, "t2": 6, "t3": 2, "t4": 2},
     [["t1", "t2"], ["t1", "t2"], ["t3", "t4"], ["t3", "t4"]],
     ["t1-0, t1-1, t1-2, t2-0, t2-1, t2-2", "t1-3, t1-4, t1-5, t2-3, t2-4, t2-5", "t3-0, t4-0",
      "t3-1, t4-1"]),
    ("testRackAwareAssignmentWithCoPartitioning (all topics)",
     {"t1": 6, "t2": 6, "t3": 2, "t4": 2}, [["t1", "t2", "t3", "t4"]] * 4,
     ["t1-0, t1-1, t2-0, t2-1, t3-0, t4-0", "t1-2, t1-3, t2-2, t2-3, t3-1, t4-1", "t1-4, t2-4",
      "t1-5, t2-5"]),
    ("testCoPartitionedAssignmentWithSameSubscription",
     {"t1": 6, "t2": 6, "t3": 2, "t4": 2, "t5": 4, "t6": 4},
     [[f"t{i}" for i in range(1, 10)]] * 3,
     ["t1-0, t1-1, t2-0, t2-1, t3-0, t4-0, t5-0, t5-1, t6-0, t6-1",
      "t1-2, t1-3, t2-2, t2-3, t3-1, t4-1, t5-2, t6-2", "t1-4, t1-5, t2-4, t2-5, t5-3, t6-3"]),
]


@pytest.mark.parametrize("name, counts, topics, expected", RANGE_NO_RACK,
                         ids=[c[0] for c in RANGE_NO_RACK])
def test_range_assignor_without_racks(name, counts, topics, expected):
    """RangeAssignorTest.<name>: the nonRackAwareAssignment expectation."""
    result = assign("range", numbered(*topics), counts)
    assert as_text(result) == {f"consumer{i}": tps(t) for i, t in enumerate(expected)}


def test_roundrobin_four_members_two_topics():
    """RoundRobinAssignorTest.testStaticMemberRoundRobinAssignmentPersistent, first round:
    the instance ids sort as the member ids do, so the dynamic-member deal is the same."""
    subs = {f"consumer{i}": ["topic1", "topic2"] for i in (1, 2, 3, 4)}
    assert as_text(assign("roundrobin", subs, {"topic1": 3, "topic2": 3})) == {
        "consumer1": tps("topic1-0, topic2-1"), "consumer2": tps("topic1-1, topic2-2"),
        "consumer3": tps("topic1-2"), "consumer4": tps("topic2-0")}


# -- AbstractStickyAssignorTest / CooperativeStickyAssignorTest ----------------------------
def sticky(subs, counts, owned=None):
    return as_text(assign("cooperative-sticky", subs, counts, owned))


def settle(subs, counts, owned=None):
    """CooperativeStickyAssignorTest.verifyValidityAndBalance's loop: a partition moving to a
    new owner is first only revoked (CooperativeStickyAssignor adjustAssignment), so rebalance
    again with what each member now owns until nothing is revoked; no partition may be
    revoked and assigned in the same round; at most 4 follow-ups."""
    owned = {m: list((owned or {}).get(m, [])) for m in subs}
    for _ in range(5):
        target = sticky(subs, counts, owned)
        handed = {m: [tp for tp in tps if not any(tp in owned[n] for n in subs if n != m)]
                  for m, tps in target.items()}
        revoked = {tp for m in subs for tp in owned[m] if tp not in handed[m]}
        added = {tp for m in subs for tp in handed[m] if tp not in owned[m]}
        assert not revoked & added, f"revoked and assigned in one rebalance: {revoked & added}"
        if not revoked:
            check_valid_and_balanced(subs, handed)
            return handed
        owned = handed
    raise AssertionError("more than 4 follow-up rebalances")


def check_valid_and_balanced(subs, assignment):
    """AbstractStickyAssignorTest.verifyValidityAndBalance: members get only subscribed topics,
    no partition twice, and two members whose counts differ by 2+ share no topic."""
    assert set(assignment) == set(subs)
    members = sorted(assignment)
    for i, member in enumerate(members):
        assert all(tp.topic in subs[member] for tp in assignment[member])
        for other in members[i + 1:]:
            assert not set(assignment[member]) & set(assignment[other])
            if abs(len(assignment[member]) - len(assignment[other])) > 1:
                topics = {tp.topic for tp in assignment[member]}
                assert not topics & {tp.topic for tp in assignment[other]}, (member, other)


def fully_balanced(assignment):
    sizes = [len(parts) for parts in assignment.values()]
    return max(sizes) - min(sizes) <= 1


def moved_both_ways(before, after):
    """AbstractStickyAssignor.isSticky fails when two members swap partitions of one topic."""
    owner = {tp: m for m, parts in before.items() for tp in parts}
    moves = {(owner[tp], m, tp.topic) for m, parts in after.items() for tp in parts
             if tp in owner and owner[tp] != m}
    return {(a, b, t) for a, b, t in moves if (b, a, t) in moves}


STICKY = [
    # (upstream method, subscriptions, partitions per topic, owned, expected)
    ("testOneConsumerNoTopic", {"consumer": []}, {}, None, {"consumer": ""}),
    ("testOneConsumerNonexistentTopic", {"consumer": ["topic"]}, {"topic": 0}, None,
     {"consumer": ""}),
    ("testOneConsumerOneTopic", {"consumer": ["topic"]}, {"topic": 3}, None,
     {"consumer": "topic-0, topic-1, topic-2"}),
    ("testOnlyAssignsPartitionsFromSubscribedTopics", {"consumer": ["topic"]}, {"topic": 2},
     {"consumer": tps("topic-0, topic-1, other-0, other-1")}, {"consumer": "topic-0, topic-1"}),
    ("testOneConsumerMultipleTopics", {"consumer": ["topic1", "topic2"]},
     {"topic1": 1, "topic2": 2}, None, {"consumer": "topic1-0, topic2-0, topic2-1"}),
    ("testTwoConsumersOneTopicTwoPartitions", {"consumer1": ["topic"], "consumer2": ["topic"]},
     {"topic": 2}, None, {"consumer1": "topic-0", "consumer2": "topic-1"}),
    ("testMultipleConsumersMixedTopicSubscriptions",
     {"consumer1": ["topic1"], "consumer2": ["topic1", "topic2"], "consumer3": ["topic1"]},
     {"topic1": 3, "topic2": 2}, None,
     {"consumer1": "topic1-0, topic1-2", "consumer2": "topic2-0, topic2-1",
      "consumer3": "topic1-1"}),
    ("testTwoConsumersTwoTopicsSixPartitions",
     {"consumer1": ["topic1", "topic2"], "consumer2": ["topic1", "topic2"]},
     {"topic1": 3, "topic2": 3}, None,
     {"consumer1": "topic1-0, topic1-2, topic2-1", "consumer2": "topic1-1, topic2-0, topic2-2"}),
    ("testConsumerOwningMinQuotaExpectedMaxQuota",
     {"consumer1": ["topic1", "topic2"], "consumer2": ["topic1", "topic2"]},
     {"topic1": 2, "topic2": 3},
     {"consumer1": tps("topic1-0, topic2-1"), "consumer2": tps("topic1-1, topic2-2")},
     {"consumer1": "topic1-0, topic2-0, topic2-1", "consumer2": "topic1-1, topic2-2"}),
    ("testMaxQuotaConsumerMoreThanNumExpectedMaxCapacityMembers",
     {c: ["topic1", "topic2"] for c in ("consumer1", "consumer2", "consumer3")},
     {"topic1": 2, "topic2": 2},
     {"consumer1": tps("topic1-0, topic2-0"), "consumer2": tps("topic1-1, topic2-1")},
     {"consumer1": "topic1-0", "consumer2": "topic1-1, topic2-1", "consumer3": "topic2-0"}),
    ("testAllConsumersAreUnderMinQuota",
     {c: ["topic1", "topic2"] for c in ("consumer1", "consumer2", "consumer3")},
     {"topic1": 2, "topic2": 3},
     {"consumer1": tps("topic1-0"), "consumer2": tps("topic1-1")},
     {"consumer1": "topic1-0, topic2-1", "consumer2": "topic1-1, topic2-2",
      "consumer3": "topic2-0"}),
    ("testAllConsumersReachExpectedQuotaAndAreConsideredFilled",
     {c: ["topic"] for c in ("consumer1", "consumer2", "consumer3")}, {"topic": 4},
     {"consumer1": tps("topic-0, topic-1"), "consumer2": tps("topic-2")},
     {"consumer1": "topic-0, topic-1", "consumer2": "topic-2", "consumer3": "topic-3"}),
    ("CooperativeStickyAssignorTest.testAssignorWithOldVersionSubscriptions",
     {c: ["topic1"] for c in ("consumer1", "consumer2", "consumer3")}, {"topic1": 3},
     {"consumer1": tps("topic1-0"), "consumer2": tps("topic1-1")},
     {"consumer1": "topic1-0", "consumer2": "topic1-1", "consumer3": "topic1-2"}),
]


@pytest.mark.parametrize("name, subs, counts, owned, expected", STICKY,
                         ids=[c[0] for c in STICKY])
def test_cooperative_sticky_assignor_cases(name, subs, counts, owned, expected):
    """AbstractStickyAssignorTest.<name> run by CooperativeStickyAssignorTest: the assignment
    once the follow-up rebalances are done."""
    assert settle(subs, counts, owned) == {m: tps(t) for m, t in expected.items()}


def test_two_consumers_one_partition_goes_to_one_of_them():
    """AbstractStickyAssignorTest.testTwoConsumersOneTopicOnePartition."""
    result = settle({"consumer1": ["topic"], "consumer2": ["topic"]}, {"topic": 1})
    assert sorted(len(parts) for parts in result.values()) == [0, 1]


@pytest.mark.parametrize("name, counts, expected", [
    ("EqualPartitionsPerConsumer", 3, {"consumer1": "topic-1", "consumer2": "topic-2",
                                       "consumer3": ""}),
    ("UnequalPartitionsPerConsumer", 4, {"consumer1": "topic-1, topic-3",
                                         "consumer2": "topic-2", "consumer3": ""}),
])
def test_a_partition_claimed_twice_is_revoked_before_anyone_gets_it(name, counts, expected):
    """CooperativeStickyAssignorTest.testAllConsumersHaveOwnedPartitionInvalidatedWhenClaimed
    ByMultipleConsumersInSameGenerationWith<name>: topic-0, owned by two members, is first
    revoked from both, so consumer3 gets nothing in this rebalance."""
    subs = {c: ["topic"] for c in ("consumer1", "consumer2", "consumer3")}
    owned = {"consumer1": tps("topic-0, topic-1"), "consumer2": tps("topic-0, topic-2")}
    target = sticky(subs, {"topic": counts}, owned)
    handed = {m: [tp for tp in parts if tp != TopicPartition("topic", 0)]
              for m, parts in target.items()}
    assert handed == {m: tps(t) for m, t in expected.items()}
    assert TopicPartition("topic", 0) in target["consumer3"]  # the follow-up's target


def test_add_then_remove_a_consumer_on_one_topic():
    """AbstractStickyAssignorTest.testAddRemoveConsumerOneTopic."""
    counts = {"topic": 3}
    first = settle({"consumer1": ["topic"]}, counts)
    assert first == {"consumer1": tps("topic-0, topic-1, topic-2")}
    second = settle({"consumer1": ["topic"], "consumer2": ["topic"]}, counts, first)
    assert second == {"consumer1": tps("topic-0, topic-1"), "consumer2": tps("topic-2")}
    third = settle({"consumer2": ["topic"]}, counts, {"consumer2": second["consumer2"]})
    assert third == {"consumer2": tps("topic-0, topic-1, topic-2")}


def test_add_then_remove_two_consumers_on_two_topics():
    """AbstractStickyAssignorTest.testAddRemoveTwoConsumersTwoTopics."""
    both = ["topic1", "topic2"]
    counts = {"topic1": 3, "topic2": 4}
    first = settle({"consumer1": both, "consumer2": both}, counts)
    assert first == {"consumer1": tps("topic1-0, topic1-2, topic2-1, topic2-3"),
                     "consumer2": tps("topic1-1, topic2-0, topic2-2")}
    four = {f"consumer{i}": both for i in (1, 2, 3, 4)}
    second = settle(four, counts, first)
    assert second == {"consumer1": tps("topic1-0, topic2-1"),
                      "consumer2": tps("topic1-1, topic2-0"),
                      "consumer3": tps("topic1-2, topic2-3"), "consumer4": tps("topic2-2")}
    third = settle({"consumer3": both, "consumer4": both}, counts,
                   {m: second[m] for m in ("consumer3", "consumer4")})
    assert third == {"consumer3": tps("topic1-0, topic1-2, topic2-1, topic2-3"),
                     "consumer4": tps("topic1-1, topic2-0, topic2-2")}


def test_topic_balance_after_reassignment():
    """AbstractStickyAssignorTest.testTopicBalanceAfterReassignment: 12 + 12 partitions stay
    split evenly per topic as members come (1 -> 2 -> 4) and go (4 -> 2)."""
    both = ["topic1", "topic2"]
    counts = {"topic1": 12, "topic2": 12}
    owned: dict = {}
    for members, share in ((["c1"], 12), (["c1", "c2"], 6), (["c1", "c2", "c3", "c4"], 3),
                           (["c3", "c4"], 6)):
        owned = settle(dict.fromkeys(members, both), counts, {m: owned.get(m, []) for m in members})
        for parts in owned.values():
            assert [tp.topic for tp in parts].count("topic1") == share
            assert [tp.topic for tp in parts].count("topic2") == share


def test_add_and_remove_a_topic_keeps_what_each_consumer_had():
    """AbstractStickyAssignorTest.testAddRemoveTopicTwoConsumers."""
    subs = {"consumer1": ["topic"], "consumer2": ["topic"]}
    first = settle(subs, {"topic": 3})
    assert fully_balanced(first)
    subs = {m: ["topic", "topic2"] for m in subs}
    second = settle(subs, {"topic": 3, "topic2": 3}, first)
    assert [len(p) for p in second.values()] == [3, 3]
    assert all(set(first[m]) <= set(second[m]) for m in subs)
    third = settle({m: ["topic2"] for m in subs}, {"topic2": 3}, second)
    assert sorted(len(p) for p in third.values()) == [1, 2]
    assert all(set(third[m]) <= set(second[m]) for m in subs)


def test_poor_round_robin_scenario_is_valid_and_balanced():
    """AbstractStickyAssignorTest.testPoorRoundRobinAssignmentScenario."""
    counts = {f"topic{i}": (i % 2) + 1 for i in range(1, 6)}
    every, odd = list(counts), ["topic1", "topic3", "topic5"]
    settle({"consumer1": every, "consumer2": odd, "consumer3": odd, "consumer4": every}, counts)


def test_reassignment_after_one_consumer_leaves_is_sticky():
    """AbstractStickyAssignorTest.testReassignmentAfterOneConsumerLeaves: 19 topics of 1..19
    partitions, consumer i subscribes to topics 1..i; consumer10 leaves."""
    counts = {f"topic{i:02d}": i for i in range(1, 20)}
    subs = {f"consumer{i:02d}": [f"topic{j:02d}" for j in range(1, i + 1)] for i in range(1, 20)}
    first = settle(subs, counts)
    del subs["consumer10"]
    second = settle(subs, counts, {m: first[m] for m in subs})
    assert not moved_both_ways(first, second)


def test_reassignment_after_one_consumer_joins():
    """AbstractStickyAssignorTest.testReassignmentAfterOneConsumerAdded."""
    subs = {f"consumer{i:02d}": ["topic"] for i in range(1, 10)}
    first = settle(subs, {"topic": 20})
    subs["consumer10"] = ["topic"]
    settle(subs, {"topic": 20}, first)


def test_same_subscriptions_one_consumer_leaves():
    """AbstractStickyAssignorTest.testSameSubscriptions: 14 topics of 1..14 partitions, eight
    consumers subscribed to all; consumer5 leaves."""
    counts = {f"topic{i:02d}": i for i in range(1, 15)}
    subs = {f"consumer{i}": list(counts) for i in range(1, 9)}
    first = settle(subs, counts)
    del subs["consumer5"]
    settle(subs, counts, {m: first[m] for m in subs})


def test_new_subscription_is_sticky():
    """AbstractStickyAssignorTest.testNewSubscription: four one-partition topics; consumer i
    subscribes to topics i..3i-2; then consumer0 subscribes to topic1 too."""
    counts = {f"topic{i}": 1 for i in range(1, 5)}
    subs = {f"consumer{i}": [f"topic{j}" for j in range(i, 3 * i - 1)] for i in range(3)}
    first = settle(subs, counts)
    subs["consumer0"] = subs["consumer0"] + ["topic1"]
    second = settle(subs, counts, first)
    assert not moved_both_ways(first, second)


def test_move_existing_assignments_is_valid():
    """AbstractStickyAssignorTest.testMoveExistingAssignments."""
    counts = {f"topic{i}": 1 for i in range(1, 7)}
    subs = {"consumer1": ["topic1", "topic2"],
            "consumer2": ["topic1", "topic2", "topic3", "topic4"],
            "consumer3": ["topic2", "topic3", "topic4", "topic5", "topic6"]}
    owned = {"consumer1": tps("topic1-0"), "consumer2": tps("topic2-0, topic3-0"),
             "consumer3": tps("topic4-0, topic5-0, topic6-0")}
    settle(subs, counts, owned)


def test_stickiness_when_the_leader_leaves():
    """AbstractStickyAssignorTest.testStickiness: four consumers, three partitions; consumer1
    leaves and each remaining consumer keeps its partition."""
    subs = {f"consumer{i}": ["topic1"] for i in (1, 2, 3, 4)}
    first = settle(subs, {"topic1": 3})
    assert all(len(parts) <= 1 for parts in first.values())
    del subs["consumer1"]
    second = settle(subs, {"topic1": 3}, {m: first[m] for m in subs})
    for member, parts in second.items():
        assert len(parts) == 1
        assert not first[member] or first[member] == parts


def test_assignment_skips_a_deleted_topic():
    """AbstractStickyAssignorTest.testAssignmentUpdatedForDeletedTopic: topic2 is gone."""
    result = settle({"consumer": ["topic1", "topic2", "topic3"]}, {"topic1": 1, "topic3": 100})
    assert len(result["consumer"]) == 101


def test_only_subscribed_topic_deleted_leaves_an_empty_assignment():
    """AbstractStickyAssignorTest.testNoExceptionThrownWhenOnlySubscribedTopicDeleted."""
    first = settle({"consumer": ["topic"]}, {"topic": 3})
    assert settle({"consumer": ["topic"]}, {}, first) == {"consumer": []}


def test_no_reassignment_of_partitions_current_members_own():
    """AbstractStickyAssignorTest.testNoReassignmentOnCurrentMembers (generations aside: every
    owned partition here is valid)."""
    every = ["topic", "topic2", "topic3", "topic1"]
    subs = {f"consumer{i}": every for i in (1, 2, 3, 4)}
    owned = {"consumer2": tps("topic-0, topic2-0, topic1-0"),
             "consumer3": tps("topic3-2, topic2-2, topic1-1"),
             "consumer4": tps("topic3-1, topic-1, topic-2")}
    result = settle(subs, dict.fromkeys(every, 3), owned)
    assert result["consumer1"] == tps("topic1-2, topic2-1, topic3-0")
    assert fully_balanced(result)


def test_random_subscriptions_and_changes_stay_valid_and_sticky():
    """AbstractStickyAssignorTest.testReassignmentWithRandomSubscriptionsAndChanges, seeded and
    with 20 rounds instead of 100 (the model is Python)."""
    rng = random.Random(10)

    def pick(topics):
        chosen = list(topics)
        for _ in range(rng.randrange(len(topics))):
            chosen.pop(rng.randrange(len(chosen)))
        return sorted(chosen)

    for _ in range(20):
        topics = [f"topic{i:02d}" for i in range(rng.randrange(10, 20))]
        counts = {topic: i + 1 for i, topic in enumerate(topics)}
        members = [f"consumer{i:02d}" for i in range(rng.randrange(20, 40))]
        first = settle({m: pick(topics) for m in members}, counts)
        second = settle({m: pick(topics) for m in members}, counts, first)
        assert not moved_both_ways(first, second)


def test_java_hashmap_order_of_consumer_names():
    """The order a Java HashMap iterates consumer1..consumer4 (String.hashCode buckets), which
    testMaxQuotaConsumerMoreThanNumExpectedMaxCapacityMembers depends on."""
    names = ["consumer1", "consumer2", "consumer3", "consumer4"]
    assert java_hashmap_order(names) == ["consumer4", "consumer3", "consumer2", "consumer1"]
