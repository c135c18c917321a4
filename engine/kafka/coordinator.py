"""Consumer groups and their coordinator: membership, rebalances, committed offsets.

A consumer group shares the partitions of the topics it subscribes to: each partition goes to
exactly one member, so members beyond the partition count sit idle. The group coordinator (a
broker) tracks members; a join, a leave (``close``) or a member whose session expired (a
crash: no heartbeat for ``session.timeout.ms``, default 45 s) starts a *rebalance*; the group
leader (the first member to join) runs the assignor and every member gets its partitions.
Committed offsets belong to the group, per partition, so several groups read one topic
independently. Sources: Kafka documentation "Consumers"
(https://kafka.apache.org/documentation/#intro_consumers), KIP-62 (session timeout
separate from polling), KIP-429 (incremental cooperative rebalancing),
ConsumerCoordinator.java (onJoinPrepare commits offsets first when auto-commit is on).

- A member rejoins from inside ``poll()`` (the Java client has no other place to do it), so a
  rebalance waits for every member: one blocked in poll (its last poll returned nothing, or it
  has not polled yet) rejoins at once; one busy with the records of its last poll rejoins at its
  next poll, after its batch (and the commitSync after it); a crashed one is waited for until
  its session times out. A member that does not rejoin within the rebalance timeout
  (max.poll.interval.ms, default 300000) is removed. Sources: AbstractCoordinator.java
  (ensureActiveGroup runs from poll; the coordinator completes the join when every known member
  has rejoined or the rebalance timeout passes).
- Before rejoining, a member commits what it has consumed when enable.auto.commit is true, and
  under an eager strategy gives up all its partitions (ConsumerCoordinator.java onJoinPrepare:
  maybeAutoCommitOffsetsSync, then onPartitionsRevoked for the whole assignment). So a join
  or a clean leave costs no duplicates; a crash does (its uncommitted records are read again
  by the next owner: at-least-once).
- Eager strategies (range, roundrobin): after the rebalance each member reads its new
  partitions from the group's committed offset.
- cooperative-sticky: members keep what they keep; a partition that moves is first revoked
  from its owner in one rebalance and handed to its new owner in a second one (KIP-429;
  ConsumerCoordinator.java onJoinComplete revokes only the partitions that move).
- This is the classic group protocol (group.protocol=classic). Kafka 4's consumer protocol
  (KIP-848) assigns on the broker and never stops the whole group; mqlab does not model it.
- Not modelled: max.poll.interval.ms outside a rebalance (a member that stops polling while
  the group is stable stays in it) and static membership (group.instance.id).
- Simplifications, said plainly: once every member has rejoined, the rebalance completes at
  that virtual instant (``sim.call_soon``, or at once inside the poll that rejoined last, as a
  real poll blocks until the join is done), with no group.initial.rebalance.delay.ms;
  committed offsets never expire (offsets.retention.minutes is not modelled).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..clock import Timer
from .assignors import TopicPartition, assign
from .errors import InconsistentGroupProtocolException
from .events import (
    ASSIGNED,
    COMMITTED,
    JOINED,
    LEFT,
    REBALANCE_COMPLETED,
    REBALANCE_STARTED,
    group_node,
)

if TYPE_CHECKING:
    from .consumer import Consumer
    from .model import Kafka

#: the rebalance timeout of the classic protocol is the member's max.poll.interval.ms, whose
#: default is 300000 ms (ConsumerConfig MAX_POLL_INTERVAL_MS_CONFIG; AbstractCoordinator.java)
REBALANCE_TIMEOUT_MS = 300_000


class Group:
    """One consumer group: its members, generation, assignment and committed offsets."""

    def __init__(self, kafka: Kafka, group_id: str) -> None:
        self.kafka = kafka
        self.id = group_id
        self.node = group_node(group_id)
        self.members: dict[str, Consumer] = {}  # member id -> consumer, in join order
        self.generation = 0
        self.strategy: str | None = None
        self.state = "Empty"
        self.committed: dict[TopicPartition, int] = {}
        self._pending: Timer | None = None
        #: members the rebalance in progress still waits for (they rejoin at their next poll)
        self._awaiting: set[str] = set()
        self._deadline: Timer | None = None
        self._expiries: dict[str, Timer] = {}
        #: per partition, the offset after the last record any member was given (to mark
        #: records read a second time: replays and at-least-once duplicates)
        self._delivered: dict[TopicPartition, int] = {}

    # -- membership ---------------------------------------------------------------------------
    def join(self, consumer: Consumer) -> None:
        if self.members and consumer.strategy != self.strategy:
            raise InconsistentGroupProtocolException(
                f"consumer {consumer.client_id} uses {consumer.strategy!r} but group {self.id!r} "
                f"uses {self.strategy!r}; every member must share an assignment strategy")
        self.strategy = consumer.strategy
        self.members[consumer.member_id] = consumer
        self.kafka.emit(JOINED, None, consumer.node, self.node,
                        f"{consumer.client_id} joined group {self.id}",
                        {"group": self.id, "member_id": consumer.member_id})
        self.request_rebalance(f"{consumer.client_id} joined")

    def leave(self, consumer: Consumer, why: str, rebalance: bool = True) -> None:
        if consumer.member_id not in self.members:
            return
        del self.members[consumer.member_id]
        timer = self._expiries.pop(consumer.member_id, None)
        if timer is not None:
            timer.cancel()
        consumer.revoke(consumer.assignment(), why)
        self.kafka.emit(LEFT, None, consumer.node, self.node, f"{consumer.client_id} {why}",
                        {"group": self.id, "member_id": consumer.member_id})
        if not consumer.alive:
            self.kafka.remove_consumer(consumer, why)
        if self.state == "PreparingRebalance":
            self._awaiting.discard(consumer.member_id)
            self._complete_when_all_rejoined()
        elif rebalance:
            self.request_rebalance(f"{consumer.client_id} {why}")

    def crashed(self, consumer: Consumer) -> None:
        """No more heartbeats: the coordinator notices after the session timeout."""
        timeout = consumer.session_timeout_ms / 1000
        self._expiries[consumer.member_id] = self.kafka.sim.call_later(
            timeout, self.leave, consumer,
            f"missed heartbeats for session.timeout.ms={consumer.session_timeout_ms}; the "
            "coordinator removed it")

    def is_member(self, consumer: Consumer) -> bool:
        return self.members.get(consumer.member_id) is consumer

    def subscribed_topics(self) -> set[str]:
        return {topic for member in self.members.values() for topic in member.subscription}

    # -- rebalance ----------------------------------------------------------------------------
    def request_rebalance(self, why: str) -> None:
        if self.state == "PreparingRebalance":
            return
        self.state = "PreparingRebalance"
        ready, self._awaiting = _split_ready(self.members)
        waiting = [self.members[m].client_id for m in self._awaiting]
        self.kafka.emit(REBALANCE_STARTED, None, self.node, None,
                        f"group {self.id} rebalances: {why}"
                        + (f"; it waits for {', '.join(waiting)} to rejoin at the next poll()"
                           if waiting else ""),
                        {"group": self.id, "generation": self.generation,
                         "strategy": self.strategy, "members": list(self.members),
                         "awaiting": sorted(self._awaiting)})
        for member in ready:
            member.prepare_rejoin(self.strategy != "cooperative-sticky")
        if self._awaiting:
            self._deadline = self.kafka.sim.call_later(REBALANCE_TIMEOUT_MS / 1000,
                                                       self._rebalance_timed_out)
        self._complete_when_all_rejoined()

    def rejoin(self, consumer: Consumer) -> None:
        """Called from ``poll``: the member rejoins a rebalance that waits for it, and the poll
        that rejoins last completes the rebalance at once."""
        if consumer.member_id in self._awaiting:
            self._awaiting.discard(consumer.member_id)
            consumer.prepare_rejoin(self.strategy != "cooperative-sticky")
            self._complete_when_all_rejoined()
        if self._pending is not None:
            self._pending.cancel()
            self._complete()

    def _complete_when_all_rejoined(self) -> None:
        if not self._awaiting and self._pending is None:
            self._pending = self.kafka.sim.call_soon(self._complete)

    def _rebalance_timed_out(self) -> None:
        self._deadline = None
        for member_id in sorted(self._awaiting):
            self.leave(self.members[member_id],
                       f"did not rejoin within the rebalance timeout (max.poll.interval.ms="
                       f"{REBALANCE_TIMEOUT_MS}); the coordinator removed it", rebalance=False)

    def _complete(self) -> None:
        self._pending = None
        if self._deadline is not None:
            self._deadline.cancel()
            self._deadline = None
        self.generation += 1
        if not self.members:
            self.state = "Empty"
            self._emit_completed({})
            return
        target = self._target()
        followup = self._hand_out(target) if self.strategy == "cooperative-sticky" else False
        if self.strategy != "cooperative-sticky":
            for member_id, member in self.members.items():
                member.receive(target[member_id], self.generation, keep_positions=False)
        self.state = "Stable"
        self._emit_completed({m: [str(tp) for tp in c.assignment()]
                              for m, c in self.members.items()})
        if followup:
            self.request_rebalance("partitions revoked by cooperative rebalance go to their "
                                   "new owners")

    def _target(self) -> dict[str, list[TopicPartition]]:
        subscriptions = {m: c.subscription for m, c in self.members.items()}
        counts = {}
        for topic in self.subscribed_topics():
            found = self.kafka.topics.get(topic)
            if found is not None:
                counts[topic] = len(found.partitions)
        owned = {m: c.assignment() for m, c in self.members.items()}
        return assign(self.strategy or "range", subscriptions, counts, owned)

    def _hand_out(self, target: dict[str, list[TopicPartition]]) -> bool:
        """Cooperative: revoke what moves, keep the rest, give out only unowned partitions."""
        owner = {tp: m for m, c in self.members.items() for tp in c.assignment()}
        followup = False
        for member_id, member in self.members.items():
            moving = [tp for tp in member.assignment() if tp not in target[member_id]]
            if moving:
                member.revoke(moving, "cooperative rebalance: these partitions move to "
                              "another member")
                followup = True
        for member_id, member in self.members.items():
            mine = [tp for tp in target[member_id] if owner.get(tp) in (None, member_id)]
            member.receive(mine, self.generation, keep_positions=True)
        return followup

    def _emit_completed(self, assignment: dict[str, list[str]]) -> None:
        self.kafka.emit(REBALANCE_COMPLETED, None, self.node, None,
                        f"group {self.id} generation {self.generation}: "
                        + (", ".join(f"{self.members[m].client_id}={tps or 'idle'}"
                                     for m, tps in assignment.items()) or "no members"),
                        {"group": self.id, "generation": self.generation,
                         "strategy": self.strategy, "assignment": assignment})

    def emit_assigned(self, consumer: Consumer, partitions: list[TopicPartition]) -> None:
        names = [str(tp) for tp in partitions]
        self.kafka.emit(ASSIGNED, None, self.node, consumer.node,
                        f"{consumer.client_id} owns {', '.join(names)}" if names else
                        f"{consumer.client_id} gets no partition and stays idle",
                        {"group": self.id, "generation": self.generation, "partitions": names})

    # -- offsets ------------------------------------------------------------------------------
    def commit(self, consumer: Consumer, offsets: dict[TopicPartition, int], how: str) -> None:
        self.commit_from(consumer.node, offsets, how)

    def commit_from(self, source: str | None, offsets: dict[TopicPartition, int],
                    how: str) -> None:
        """Store offsets; ``source`` is the committing node (a consumer, or a transactional
        producer whose transaction committed them)."""
        kafka = self.kafka
        for tp, offset in offsets.items():
            previous = self.committed.get(tp)
            self.committed[tp] = offset
            partition = kafka.partition(tp)
            kafka.emit(COMMITTED, None, source,
                       partition.node if partition is not None else self.node,
                       f"group {self.id} committed offset {offset} for {tp} ({how})",
                       {"group": self.id, "partition": str(tp), "offset": offset,
                        "previous": previous, "lag": self.lag(tp)},
                       {"rule": "commit", "group": self.id, "partition": str(tp),
                        "offset": offset, "how": how})

    def note_delivered(self, tp: TopicPartition, upto: int) -> int:
        """Record that members have now read ``tp`` up to ``upto``; returns the mark before."""
        before = self._delivered.get(tp, 0)
        if upto > before:
            self._delivered[tp] = upto
        return before

    def lag(self, tp: TopicPartition) -> int | None:
        """High watermark minus committed offset; None before the group commits anything.
        Negative when the group committed past the end, as kafka-consumer-groups shows it
        (ConsumerGroupCommand getLag does not clamp)."""
        partition = self.kafka.partition(tp)
        committed = self.committed.get(tp)
        if partition is None or committed is None:
            return None
        if self.reads_committed():
            # a read_committed consumer can only reach the last stable offset (KIP-98; the
            # consumer's records-lag metric is measured against it)
            return partition.last_stable_offset - committed
        return partition.high_watermark - committed

    def reads_committed(self) -> bool:
        """Do this group's members read with isolation_level=read_committed?"""
        return any(member.read_committed for member in self.members.values())

    def forget_topic(self, topic: str) -> None:
        """A deleted topic's committed offsets go with it."""
        for tp in [tp for tp in self.committed if tp.topic == topic]:
            del self.committed[tp]
        for tp in [tp for tp in self._delivered if tp.topic == topic]:
            del self._delivered[tp]

    def describe(self) -> dict[str, Any]:
        return {
            "group_id": self.id, "state": self.state, "generation": self.generation,
            "strategy": self.strategy,
            "members": {m: {"client_id": c.client_id, "assignment": [str(tp) for tp in
                                                                    c.assignment()]}
                        for m, c in self.members.items()},
            "offsets": {str(tp): {"committed": off, "lag": self.lag(tp)}
                        for tp, off in sorted(self.committed.items())},
            # When the coordinator gives up on each crashed member (virtual time): a rebalance
            # waits for it until then, its partitions unread (the drawing counts it down).
            "session_expiries": {self.members[m].client_id: timer.at
                                 for m, timer in sorted(self._expiries.items())
                                 if not timer.cancelled and m in self.members},
        }


def _split_ready(members: dict[str, Consumer]) -> tuple[list[Consumer], set[str]]:
    """Members that rejoin at once (alive, blocked in poll) and the ids of those the
    rebalance waits for, in one pass: a membership test against the ready list made every
    join cost members² (joins 900-1,000 of one group took 4.8 s)."""
    ready: list[Consumer] = []
    awaiting: set[str] = set()
    for member_id, member in members.items():
        if member.alive and not member.busy:
            ready.append(member)
        else:
            awaiting.add(member_id)
    return ready, awaiting
