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
  the counts while each member keeps as many of the partitions it owns as it can. When every
  member subscribes to the same topics it follows the "constrained" path (members in Java
  HashMap order keep owned partitions up to the quota, then members below the minimum quota
  are filled round-robin, then the ones allowed one extra); otherwise the "general" path
  (topics with fewest possible takers first, each free partition to the emptiest eligible
  member, then moves towards balance). Generations and racks are not modelled. Tests:
  AbstractStickyAssignorTest / CooperativeStickyAssignorTest, ported in
  tests/engine/test_kafka_upstream_assignors.py.
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
    if not members:
        return {}
    kept = _still_owned(subs, partitions_per_topic, owned)
    if all(subs[m] == subs[members[0]] for m in members):
        all_tps = _all_partitions(subs, partitions_per_topic)
        return _sticky_constrained(members, all_tps, kept)
    return _sticky_general(members, subs, partitions_per_topic, kept)


def _still_owned(subs: dict[str, list[str]], partitions_per_topic: Mapping[str, int],
                 owned: Mapping[str, Iterable[tuple[str, int]]]) -> Assignment:
    """Each member's owned partitions that still exist and that it still subscribes to. A
    partition two members both claim is kept by neither (AbstractStickyAssignor
    allSubscriptionsEqual: claimed twice in the same generation, it is invalidated)."""
    kept: Assignment = {}
    claims: dict[TopicPartition, int] = {}
    for member in subs:
        mine = set(subs[member])
        kept[member] = [TopicPartition(*tp) for tp in owned.get(member, ())
                        if tp[0] in mine and tp[0] in partitions_per_topic
                        and tp[1] < partitions_per_topic[tp[0]]]
        for tp in set(kept[member]):
            claims[tp] = claims.get(tp, 0) + 1
    return {m: [tp for tp in tps if claims[tp] == 1] for m, tps in kept.items()}


def java_hashmap_order(keys: Iterable[str]) -> list[str]:
    """``keys`` in the order a Java ``HashMap<String, ...>`` iterates them.

    The sticky assignor walks its members in that order (its maps are HashMaps), and which
    member keeps an extra partition depends on it (AbstractStickyAssignorTest
    testMaxQuotaConsumerMoreThanNumExpectedMaxCapacityMembers). A HashMap iterates by bucket:
    ``hash ^ (hash >>> 16)`` masked by the table size (16, doubled while more than 3/4 full),
    where ``hash`` is ``String.hashCode`` over UTF-16 units. Keys sharing a bucket keep their
    insertion order, taken here as sorted by id.
    """
    ordered = sorted(keys)
    capacity = 16
    while len(ordered) > capacity * 3 // 4:
        capacity *= 2

    def bucket(key: str) -> int:
        h = 0
        data = key.encode("utf-16-be")
        for i in range(0, len(data), 2):
            h = (31 * h + (data[i] << 8 | data[i + 1])) & 0xFFFFFFFF
        return (h ^ (h >> 16)) & (capacity - 1)

    return sorted(ordered, key=bucket)


def _sticky_constrained(members: list[str], all_tps: list[TopicPartition],
                        kept: Assignment) -> Assignment:
    """AbstractStickyAssignor.constrainedAssign: members in HashMap order keep their owned
    partitions (sorted by partition, then topic) within the quotas; the free ones go
    round-robin to members below the minimum (sorted by id), then one each to members allowed
    an extra."""
    total = len(all_tps)
    min_quota, max_quota = total // len(members), -(-total // len(members))
    expected_over, over = total % len(members), 0
    result: Assignment = {}
    under: list[str] = []
    exactly: list[str] = []
    for member in java_hashmap_order(members):
        owned = sorted(kept[member], key=lambda tp: (tp.partition, tp.topic))
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
    under.sort()
    exactly.sort()
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
    return {member: sorted(tps) for member, tps in sorted(result.items())}


def _sticky_general(members: list[str], subs: dict[str, list[str]],
                    partitions_per_topic: Mapping[str, int], kept: Assignment) -> Assignment:
    """AbstractStickyAssignor's general path, for members with different subscriptions.

    Kafka's rules, in order: topics sorted by how many members may take them (fewest first),
    then by name; owned partitions stay; each free partition goes to the eligible member with
    the fewest partitions (ties by id); then, while the assignment is not balanced, a partition
    of a topic two or more members may take moves from its owner to the eligible member with
    the fewest, when that member has at least two fewer; a rebalance of an existing assignment
    that ends no better balanced is undone. Not modelled: generations, racks, and the
    PartitionMovements bookkeeping that picks which of two equal partitions moves back.
    """
    takers = {t: [m for m in members if t in subs[m]] for t in partitions_per_topic}
    takers = {t: ms for t, ms in takers.items() if ms}
    topics = sorted(takers, key=lambda t: (len(takers[t]), t))
    ordered = [TopicPartition(t, p) for t in topics for p in range(partitions_per_topic[t])]
    result = {m: list(kept[m]) for m in members}
    initializing = not any(result.values())
    taken = {tp for tps in result.values() for tp in tps}
    free = [tp for tp in ordered if tp not in taken]
    for tp in free:
        result[min(takers[tp.topic], key=lambda m: (len(result[m]), m))].append(tp)
    movable = [tp for tp in ordered if len(takers[tp.topic]) >= 2]
    # Members that can neither gain nor lose a partition stay out of the balancing and of its
    # score (Kafka's "fixed assignments").
    live = {m: result[m] for m in members if len(result[m]) < sum(
        partitions_per_topic[t] for t in subs[m] if t in takers)
        or any(len(takers[tp.topic]) >= 2 for tp in result[m])}
    before = {m: list(tps) for m, tps in live.items()}
    moved = _reassign(live, takers, [tp for tp in free if tp in set(movable)])
    moved = _reassign(live, takers, movable) or moved
    if not initializing and moved and _score(live) >= _score(before):
        result.update(before)
    return {member: sorted(tps) for member, tps in result.items()}


def _reassign(result: Assignment, takers: dict[str, list[str]],
              partitions: list[TopicPartition]) -> bool:
    """performReassignments: sweep ``partitions`` until balanced or nothing moves."""
    moved_any, modified = False, True
    while modified:
        modified = False
        owner = {tp: m for m, tps in result.items() for tp in tps}
        for tp in partitions:
            if _balanced(result, takers):
                break
            mine = owner[tp]
            if any(len(result[mine]) > len(result[o]) + 1 for o in takers[tp.topic]):
                target = min(takers[tp.topic], key=lambda m: (len(result[m]), m))
                result[mine].remove(tp)
                result[target].append(tp)
                owner[tp] = target
                moved_any = modified = True
    return moved_any


def _balanced(result: Assignment, takers: dict[str, list[str]]) -> bool:
    sizes = {m: len(tps) for m, tps in result.items()}
    if min(sizes.values()) >= max(sizes.values()) - 1:
        return True
    owner = {tp: m for m, tps in result.items() for tp in tps}
    for tp, member in owner.items():
        for other in takers[tp.topic]:
            if other != member and sizes[other] + 1 < sizes[member]:
                return False
    return True


def _score(result: Assignment) -> int:
    sizes = [len(tps) for tps in result.values()]
    return sum(abs(a - b) for i, a in enumerate(sizes) for b in sizes[i + 1:])
