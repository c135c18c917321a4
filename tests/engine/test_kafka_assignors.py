"""engine.kafka.assign gives what Kafka's assignors give (cases from RangeAssignorTest.java,
RoundRobinAssignorTest.java and the classes' javadoc in apache/kafka)."""

import pytest

from engine.kafka import IllegalArgumentException, assign


def tps(*pairs):
    return [tuple(p) for p in pairs]


def test_range_javadoc_two_consumers_two_topics_three_partitions():
    result = assign("range", {"C0": ["t0", "t1"], "C1": ["t0", "t1"]}, {"t0": 3, "t1": 3})
    assert result == {"C0": tps(("t0", 0), ("t0", 1), ("t1", 0), ("t1", 1)),
                      "C1": tps(("t0", 2), ("t1", 2))}


def test_range_multiple_consumers_mixed_topics():
    result = assign("range", {"consumer1": ["topic1"], "consumer2": ["topic1", "topic2"],
                              "consumer3": ["topic1"]}, {"topic1": 3, "topic2": 2})
    assert result == {"consumer1": tps(("topic1", 0)),
                      "consumer2": tps(("topic1", 1), ("topic2", 0), ("topic2", 1)),
                      "consumer3": tps(("topic1", 2))}


def test_range_uniform_subscription_without_racks():
    # RangeAssignorTest.testRackAwareAssignmentWithUniformSubscription, non-rack-aware case
    topics = {"t1": 6, "t2": 7, "t3": 2}
    result = assign("range", {m: list(topics) for m in ("c1", "c2", "c3")}, topics)
    as_text = {m: ", ".join(f"{t}-{p}" for t, p in tps) for m, tps in result.items()}
    assert as_text == {"c1": "t1-0, t1-1, t2-0, t2-1, t2-2, t3-0",
                       "c2": "t1-2, t1-3, t2-3, t2-4, t3-1",
                       "c3": "t1-4, t1-5, t2-5, t2-6"}


def test_range_sorts_members_by_id_not_by_insertion():
    result = assign("range", {"b": ["t"], "a": ["t"]}, {"t": 3})
    assert result == {"a": tps(("t", 0), ("t", 1)), "b": tps(("t", 2))}


def test_range_extra_members_get_nothing():
    result = assign("range", {f"c{i}": ["t"] for i in range(1, 5)}, {"t": 3})
    assert result["c4"] == []


def test_range_skips_unknown_topics_and_keeps_members_without_topics():
    assert assign("range", {"consumer": ["topic"]}, {}) == {"consumer": []}
    assert assign("range", {"consumer": []}, {"topic": 3}) == {"consumer": []}


def test_roundrobin_two_consumers_two_topics_six_partitions():
    result = assign("roundrobin", {"consumer1": ["topic1", "topic2"],
                                   "consumer2": ["topic1", "topic2"]},
                    {"topic1": 3, "topic2": 3})
    assert result == {"consumer1": tps(("topic1", 0), ("topic1", 2), ("topic2", 1)),
                      "consumer2": tps(("topic1", 1), ("topic2", 0), ("topic2", 2))}


def test_roundrobin_skips_members_not_subscribed_to_the_topic():
    result = assign("roundrobin", {"consumer1": ["topic1"], "consumer2": ["topic1", "topic2"],
                                   "consumer3": ["topic1"]}, {"topic1": 3, "topic2": 2})
    assert result == {"consumer1": tps(("topic1", 0)),
                      "consumer2": tps(("topic1", 1), ("topic2", 0), ("topic2", 1)),
                      "consumer3": tps(("topic1", 2))}


def test_roundrobin_only_assigns_subscribed_topics():
    result = assign("roundrobin", {"consumer": ["topic"]}, {"topic": 3, "other": 3})
    assert result == {"consumer": tps(("topic", 0), ("topic", 1), ("topic", 2))}


def test_cooperative_sticky_keeps_owned_partitions_while_balancing():
    owned = {"a": [("t", 0), ("t", 1), ("t", 2)], "b": [("t", 3), ("t", 4), ("t", 5)]}
    result = assign("cooperative-sticky", {"a": ["t"], "b": ["t"], "c": ["t"]}, {"t": 6}, owned)
    assert sorted(len(v) for v in result.values()) == [2, 2, 2]
    assert set(result["a"]) <= set(owned["a"]) and set(result["b"]) <= set(owned["b"])


def test_cooperative_sticky_add_consumer_keeps_the_first_owned_partitions():
    # AbstractStickyAssignorTest.testAddRemoveConsumerOneTopic: consumer1 owned all 3
    owned = {"consumer1": [("topic", 0), ("topic", 1), ("topic", 2)]}
    result = assign("cooperative-sticky", {"consumer1": ["topic"], "consumer2": ["topic"]},
                    {"topic": 3}, owned)
    assert result == {"consumer1": tps(("topic", 0), ("topic", 1)),
                      "consumer2": tps(("topic", 2))}


def test_cooperative_sticky_deals_free_partitions_round_robin_then_extras():
    # constrainedAssign: members under the minimum quota take turns; the extra goes to the
    # first member that reached the minimum
    result = assign("cooperative-sticky", {"c1": ["t"], "c2": ["t"], "c3": ["t"]}, {"t": 4})
    assert result == {"c1": tps(("t", 0), ("t", 3)), "c2": tps(("t", 1)), "c3": tps(("t", 2))}


def test_cooperative_sticky_balances_different_subscriptions():
    result = assign("cooperative-sticky", {"a": ["t1", "t2"], "b": ["t2"]}, {"t1": 1, "t2": 3})
    assert ("t1", 0) in result["a"]
    assert [len(result["a"]), len(result["b"])] == [2, 2]
    assert sorted(result["a"] + result["b"]) == tps(("t1", 0), ("t2", 0), ("t2", 1), ("t2", 2))


def test_unknown_strategy_is_refused():
    with pytest.raises(IllegalArgumentException, match="'sticky-ish'"):
        assign("sticky-ish", {"a": ["t"]}, {"t": 1})
