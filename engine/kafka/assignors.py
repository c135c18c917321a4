"""Partition assignment strategies: how a consumer group splits partitions among members.

The group leader runs the assignor on every rebalance. ``assign`` gives the same result as
Kafka's Java assignors for the same member ids (no static membership, no racks):

- ``range`` (RangeAssignor.java, the default before Kafka 3.x's cooperative default): topic by
  topic (topics sorted), partitions in order and the topic's subscribers sorted by member id;
  each member gets ``numPartitions // numMembers`` consecutive partitions and the first
  ``numPartitions % numMembers`` members one more. Tests: RangeAssignorTest.java.
- ``roundrobin`` (RoundRobinAssignor.java): every subscribed topic-partition, sorted by topic
  then partition, dealt to the members sorted by id in a circle; a member not subscribed to the
  topic is skipped. Tests: RoundRobinAssignorTest.java.
- ``cooperative-sticky`` (CooperativeStickyAssignor / AbstractStickyAssignor.java): balance
  the counts while each member keeps as many of the partitions it owns as it can. mqlab's
  version follows the "constrained" path of AbstractStickyAssignor when every member
  subscribes to the same topics (keep owned partitions up to the quota, then fill members below
  the minimum quota, then the ones allowed one extra). When subscriptions differ it is a
  simpler greedy (keep owned, give each free partition to the eligible member with fewest,
  then move partitions from the fullest to the emptiest eligible member), not Kafka's exact
  general algorithm.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import NamedTuple

from .errors import IllegalArgumentException


class TopicPartition(NamedTuple):
    """A partition of a topic, as Kafka's ``TopicPartition`` (a tuple: compares to tuples)."""

    topic: str
    partition: int

    def __str__(self) -> str:
        return f"{self.topic}/{self.partition}"


Assignment = dict[str, list[TopicPartition]]
STRATEGIES = ("range", "roundrobin", "cooperative-sticky")


def assign(strategy: str, subscriptions: Mapping[str, Iterable[str]],
           partitions_per_topic: Mapping[str, int],
           owned: Mapping[str, Iterable[tuple[str, int]]] | None = None) -> Assignment:
    """``{member_id: [(topic, partition), ...]}`` as Kafka's assignor ``strategy`` gives it.

    ``owned`` (each member's current partitions) only matters to ``cooperative-sticky``.
    Topics missing from ``partitions_per_topic`` are skipped, as Kafka skips unknown topics.
    """
    subs = {member: sorted(set(topics)) for member, topics in subscriptions.items()}
    if strategy == "range":
        return _range(subs, partitions_per_topic)
    if strategy == "roundrobin":
        return _roundrobin(subs, partitions_per_topic)
    if strategy == "cooperative-sticky":
        return _sticky(subs, partitions_per_topic, owned or {})
    raise IllegalArgumentException(
        f"unknown partition assignment strategy {strategy!r}; use one of {', '.join(STRATEGIES)}")


def _range(subs: dict[str, list[str]], partitions_per_topic: Mapping[str, int]) -> Assignment:
    result: Assignment = {member: [] for member in sorted(subs)}
    members_per_topic: dict[str, list[str]] = {}
    for member in sorted(subs):
        for topic in subs[member]:
            members_per_topic.setdefault(topic, []).append(member)
    for topic in sorted(members_per_topic):
        count = partitions_per_topic.get(topic)
        if count is None:
            continue
        members = members_per_topic[topic]
        per_member, extra = divmod(count, len(members))
        for i, member in enumerate(members):
            start = per_member * i + min(i, extra)
            length = per_member + (1 if i < extra else 0)
            result[member].extend(TopicPartition(topic, p) for p in range(start, start + length))
    return result


def _all_partitions(subs: dict[str, list[str]],
                    partitions_per_topic: Mapping[str, int]) -> list[TopicPartition]:
    topics = sorted({topic for topics in subs.values() for topic in topics})
    return [TopicPartition(topic, p) for topic in topics if topic in partitions_per_topic
            for p in range(partitions_per_topic[topic])]


def _roundrobin(subs: dict[str, list[str]],
                partitions_per_topic: Mapping[str, int]) -> Assignment:
    members = sorted(subs)
    result: Assignment = {member: [] for member in members}
    turn = 0
    for tp in _all_partitions(subs, partitions_per_topic):
        while tp.topic not in subs[members[turn % len(members)]]:
            turn += 1
        result[members[turn % len(members)]].append(tp)
        turn += 1
    return result


def _sticky(subs: dict[str, list[str]], partitions_per_topic: Mapping[str, int],
            owned: Mapping[str, Iterable[tuple[str, int]]]) -> Assignment:
    members = sorted(subs)
    all_tps = _all_partitions(subs, partitions_per_topic)
    if not members:
        return {}
    same_topics = all(subs[m] == subs[members[0]] for m in members)
    claimed: set[TopicPartition] = set()
    kept: Assignment = {}
    for member in members:
        mine = set(subs[member])
        valid = sorted(TopicPartition(*tp) for tp in owned.get(member, ())
                       if tp[0] in mine and tp[0] in partitions_per_topic
                       and tp[1] < partitions_per_topic[tp[0]])
        kept[member] = [tp for tp in valid if tp not in claimed]
        claimed.update(kept[member])
    if same_topics:
        return _sticky_constrained(members, all_tps, kept)
    return _sticky_general(members, subs, all_tps, kept)


def _sticky_constrained(members: list[str], all_tps: list[TopicPartition],
                        kept: Assignment) -> Assignment:
    """AbstractStickyAssignor.constrainedAssign: keep owned partitions within the quotas, deal
    the free ones round-robin to members below the minimum, then one each to members allowed
    an extra."""
    total = len(all_tps)
    min_quota, max_quota = total // len(members), -(-total // len(members))
    expected_over, over = total % len(members), 0
    result: Assignment = {}
    under: list[str] = []
    exactly: list[str] = []
    for member in members:
        owned = kept[member]
        if len(owned) < min_quota:
            result[member] = list(owned)
            under.append(member)
        elif len(owned) >= max_quota and over < expected_over:
            over += 1
            result[member] = owned[:max_quota]
        else:
            result[member] = owned[:min_quota]
            exactly.append(member)
    if over == expected_over:
        exactly.clear()
    taken = {tp for tps in result.values() for tp in tps}
    turn = 0
    for tp in (tp for tp in all_tps if tp not in taken):
        if under:
            turn %= len(under)
            member = under[turn]
            result[member].append(tp)
            if len(result[member]) < min_quota:
                turn += 1
                continue
            under.pop(turn)
            if over < expected_over:
                exactly.append(member)
        elif exactly:
            result[exactly.pop(0)].append(tp)
            over += 1
            if over == expected_over:
                exactly.clear()
    return {member: sorted(tps) for member, tps in result.items()}


def _sticky_general(members: list[str], subs: dict[str, list[str]],
                    all_tps: list[TopicPartition], kept: Assignment) -> Assignment:
    result = {member: list(kept[member]) for member in members}
    taken = {tp for tps in result.values() for tp in tps}
    for tp in all_tps:
        if tp in taken:
            continue
        eligible = [m for m in members if tp.topic in subs[m]]
        target = min(eligible, key=lambda m: (len(result[m]), m))
        result[target].append(tp)
    moved = True
    while moved:
        moved = False
        for member in sorted(members, key=lambda m: (-len(result[m]), m)):
            for tp in sorted(result[member], reverse=True):
                eligible = [m for m in members if tp.topic in subs[m]]
                target = min(eligible, key=lambda m: (len(result[m]), m))
                if len(result[target]) + 1 < len(result[member]):
                    result[member].remove(tp)
                    result[target].append(tp)
                    moved = True
                    break
            if moved:
                break
    return {member: sorted(tps) for member, tps in result.items()}
