"""The cluster: brokers, where each partition's replicas live, leaders, the ISR, replication.

Each partition has replicas on several brokers. One is the *leader* (it takes writes and
serves reads); the others are *followers* that copy the leader's log. The *in-sync replica
set* (ISR) is the leader plus the followers that have caught up. The *high watermark* is the
offset every ISR member has reached: consumers read only below it, so a consumer never sees a
record that a leader change could take back. Sources: Kafka documentation "Design:
Replication" (https://kafka.apache.org/documentation/#replication); kafka.cluster.Partition
(maybeExpandIsr, maybeIncrementLeaderHW).

Rules, each from Kafka:
- Placement (AdminUtils.assignReplicasToBrokersRackUnaware, ZooKeeper-mode admin): partition
  p's first replica is live broker (p + startIndex) % n; the others follow at a shift that
  grows every n partitions; startIndex and the shift are random (here: sim.random). The first
  replica is the preferred leader. (KRaft's StripedReplicaPlacer stripes the same way from a
  random start.) create_partitions continues from partition 0's first replica
  (AdminZkClient.addPartitions).
- acks=all is refused with NotEnoughReplicasException while the ISR is smaller than
  min.insync.replicas (Partition.appendRecordsToLeader); acks=1 and acks=0 are not.
- Followers fetch right after the leader appends (here: ``sim.call_soon``, one "replicated"
  event per record and follower; at once for an acks=all write, whose producer waits for
  them); a follower whose log end reaches the high watermark rejoins the ISR (isr-expanded).
- A dead broker leaves every ISR (isr-shrunk). If it led a partition, the new leader is the
  first replica in assignment order that is alive and in the ISR
  (PartitionLeaderElectionAlgorithms.offlinePartitionLeaderElection). Records the new leader
  does not have are truncated away ("lost": they were above the high watermark, so only
  acks=0/acks=1 writes, or acks=all writes not yet acknowledged, can be lost).
- unclean.leader.election.enable=false (the default): with no in-sync replica alive the
  partition has no leader until one comes back. With true, the first live replica leads and
  whatever it lacks is lost.
- Leadership goes back to the preferred (first) replica: with auto.leader.rebalance.enable
  (default true) the controller checks every leader.imbalance.check.interval.seconds (300) and,
  for a broker that leads fewer than it should by more than
  leader.imbalance.per.broker.percentage (10 %), moves leadership back to it where it is in
  the ISR (KafkaController.checkAndTriggerAutoLeaderRebalance; KRaft's QuorumController
  balances leaders the same way).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

from ..clock import Timer
from .assignors import TopicPartition
from .errors import LeaderNotAvailableException, NotEnoughReplicasException
from .events import (
    ISR_EXPANDED,
    ISR_SHRUNK,
    LEADER_ELECTED,
    LOST,
    REPLICATED,
    broker_node,
    partition_node,
)
from .log import PartitionLog, Record, timestamp_ms

if TYPE_CHECKING:
    from random import Random

    from ..simulation import Simulation
    from .model import Kafka
    from .topic import Topic


def place_replicas(brokers: list[int], count: int, replication_factor: int, rng: Random,
                   first_partition: int = 0, fixed_start: int = -1) -> list[list[int]]:
    """Replica lists for partitions ``first_partition ..``, as Kafka's rack-unaware admin."""
    n = len(brokers)
    start = fixed_start if fixed_start >= 0 else rng.randrange(n)
    shift = fixed_start if fixed_start >= 0 else rng.randrange(n)
    result = []
    for partition in range(first_partition, first_partition + count):
        if partition > 0 and partition % n == 0:
            shift += 1
        first = (partition + start) % n
        replicas = [brokers[first]]
        for j in range(replication_factor - 1):
            replicas.append(brokers[(first + 1 + (shift + j) % (n - 1)) % n])
        result.append(replicas)
    return result


class Partition:
    """One partition: its log, replicas, leader, ISR and high watermark."""

    __slots__ = ("kafka", "topic", "index", "tp", "node", "log", "replicas", "leader", "isr",
                 "leo", "high_watermark", "leader_epoch", "_replicating", "sequences",
                 "open_transactions", "aborted")

    def __init__(self, kafka: Kafka, topic: Topic, index: int, replicas: list[int]) -> None:
        self.kafka = kafka
        self.topic = topic
        self.index = index
        self.tp = TopicPartition(topic.name, index)
        self.node = partition_node(topic.name, index)
        self.log = PartitionLog(topic.name, index, topic.incarnation, kafka.stored)
        self.replicas = replicas
        self.leader: int | None = replicas[0]
        self.isr = list(replicas)
        self.leo = dict.fromkeys(replicas, 0)  # each replica's log end offset
        self.high_watermark = 0
        self.leader_epoch = 0
        self._replicating = False
        #: idempotent producers: producer id -> (last sequence number, its offset)
        self.sequences: dict[int, tuple[int, int]] = {}
        #: transactions still open here: producer id -> offset of its first record (KIP-98:
        #: the first offset of the oldest open transaction bounds the last stable offset)
        self.open_transactions: dict[int, int] = {}
        #: aborted transactions: producer id -> [(first offset, abort marker offset)], the
        #: broker's aborted transaction index that read_committed fetches consult
        self.aborted: dict[int, list[tuple[int, int]]] = {}

    @property
    def name(self) -> str:
        return self.log.name

    def check_writable(self, acks: str) -> None:
        if self.leader is None:
            raise LeaderNotAvailableException(
                f"partition {self.name} has no leader: its in-sync replicas "
                f"{self.isr} are down and unclean leader election is off; restore a broker")
        if acks == "all" and len(self.isr) < self.topic.min_insync:
            raise NotEnoughReplicasException(
                f"partition {self.name} has {len(self.isr)} in-sync replica(s) {self.isr}, "
                f"fewer than min.insync.replicas={self.topic.min_insync}; acks=all writes "
                f"are refused until a replica catches up (acks=1 would be accepted)")

    @property
    def last_stable_offset(self) -> int:
        """The LSO (KIP-98): the high watermark, or the first offset of the oldest transaction
        still open here if that is lower. read_committed consumers read only below it."""
        if not self.open_transactions:
            return self.high_watermark
        return min(self.high_watermark, min(self.open_transactions.values()))

    def is_aborted(self, record: Record) -> bool:
        """Was ``record`` written by a transaction that was aborted?"""
        if not record.transactional:
            return False
        return any(first <= record.offset < marker
                   for first, marker in self.aborted.get(record.producer_id, ()))

    def append(self, key: Any, value: Any, headers: tuple[tuple[str, Any], ...],
               size: int, producer_id: int = -1, transactional: bool = False,
               control: str | None = None) -> Record:
        """The leader writes a record; followers copy it soon after."""
        record = self.log.append(key, value, headers, timestamp_ms(self.kafka.sim), size,
                                 producer_id, transactional, control)
        self.leo[self.leader] = self.log.log_end  # type: ignore[index]
        if len(self.isr) == 1:
            self.high_watermark = self.log.log_end
        if len(self.replicas) > 1 and not self._replicating:
            self._replicating = True
            self.kafka.sim.call_soon(self._replicate)
        # the cleaner cares about every append only for size limits and compaction; time
        # retention depends on the oldest record alone
        if self.topic.watch_appends or (self.topic.cleanup and len(self.log) == 1):
            self.kafka.cleaner.appended(self)
        return record

    def replicate(self) -> None:
        """Every live follower copies what it lacks now (an acks=all write waits for this)."""
        self._replicate()

    def _replicate(self) -> None:
        self._replicating = False
        if self.leader is None or self.topic.deleted:
            return
        end = self.log.log_end
        alive = self.kafka.cluster.alive
        for follower in self.replicas:
            if follower == self.leader or not alive[follower]:
                continue
            self._copy(follower, end)
            if follower not in self.isr and self.leo[follower] >= self.high_watermark:
                self._expand_isr(follower)
        self._advance_high_watermark()

    def _copy(self, follower: int, end: int) -> None:
        start = self.leo[follower]
        if start >= end:
            return
        emit, listening = self.kafka.emit, self.kafka.sim.listening
        source, target = broker_node(self.leader), broker_node(follower)  # type: ignore[arg-type]
        for record in self.log.read(start, end, end - start):
            if not listening:
                emit(REPLICATED, record.id, source, target)
                continue
            emit(REPLICATED, record.id, source, target,
                 f"follower on broker {follower} copied offset {record.offset} from leader "
                 f"broker {self.leader}", {"partition": self.name, "offset": record.offset},
                 {"rule": "replication", "follower": follower, "leader": self.leader,
                  "partition": self.name})
        self.leo[follower] = end

    def _expand_isr(self, follower: int) -> None:
        self.isr = [r for r in self.replicas if r in self.isr or r == follower]
        self.kafka.emit(ISR_EXPANDED, None, self.node, broker_node(follower),
                        f"broker {follower} caught up with the leader and rejoined the ISR of "
                        f"{self.name}", {"partition": self.name, "isr": list(self.isr)})

    def _advance_high_watermark(self) -> None:
        if self.leader is not None:
            self.high_watermark = max(self.high_watermark, min(self.leo[r] for r in self.isr))

    def _schedule_catch_up(self) -> None:
        alive = self.kafka.cluster.alive
        # a live follower that lags, or that is caught up but not yet back in the ISR
        fetching = any(alive[r] and (self.leo[r] < self.log.log_end or r not in self.isr)
                       for r in self.replicas if r != self.leader)
        if self.leader is not None and fetching and not self._replicating:
            self._replicating = True
            self.kafka.sim.call_soon(self._replicate)

    # -- broker failure and recovery ----------------------------------------------------------
    def broker_down(self, broker: int) -> None:
        if broker == self.leader:
            self._elect(f"leader broker {broker} went down")
        elif broker in self.isr:
            self._shrink_isr([broker], f"broker {broker} went down")
        self._advance_high_watermark()

    def broker_up(self, broker: int) -> None:
        if self.leader is None:
            unclean = self.topic.config["unclean.leader.election.enable"]
            if broker in self.isr or unclean:
                self._become_leader(broker, None, f"broker {broker} came back")
                return
        self._schedule_catch_up()

    def _elect(self, why: str) -> None:
        alive = self.kafka.cluster.alive
        old = self.leader
        candidates = [r for r in self.replicas if r in self.isr and alive[r]]
        if candidates:
            self._become_leader(candidates[0], old, why)
            return
        if self.topic.config["unclean.leader.election.enable"]:
            live = [r for r in self.replicas if alive[r]]
            if live:
                self._become_leader(live[0], old, why + "; no in-sync replica is alive, so an "
                                    "out-of-sync one leads (unclean.leader.election.enable=true)")
                return
        self.leader = None
        self.kafka.emit(LEADER_ELECTED, None, self.node, None,
                        f"{why}; no in-sync replica of {self.name} is alive and unclean "
                        f"leader election is off, so the partition is offline",
                        {"partition": self.name, "leader": None, "isr": list(self.isr)})

    def _become_leader(self, broker: int, old: int | None, why: str) -> None:
        alive = self.kafka.cluster.alive
        clean = broker in self.isr
        self.leader = broker
        self.leader_epoch += 1
        dead = [r for r in self.isr if not alive[r]]
        if dead:
            self._shrink_isr(dead, why)
        if not clean:
            self.isr = [broker]
        self._truncate_to(self.leo[broker], broker)
        self.kafka.emit(LEADER_ELECTED, None, broker_node(old) if old is not None else self.node,
                        broker_node(broker),
                        f"{why}; broker {broker} now leads {self.name} (leader epoch "
                        f"{self.leader_epoch})" + ("" if clean else ", elected uncleanly"),
                        {"partition": self.name, "leader": broker, "isr": list(self.isr),
                         "epoch": self.leader_epoch, "clean": clean})
        self._advance_high_watermark()
        self._schedule_catch_up()
        self.kafka.transactions.leader_elected(self)  # markers that waited for a leader

    @property
    def preferred(self) -> int:
        return self.replicas[0]

    def elect_preferred(self) -> None:
        """Move leadership back to the preferred replica (it must be alive and in the ISR)."""
        self._become_leader(self.preferred, self.leader,
                            f"preferred leader election: broker {self.preferred} is back in "
                            "the ISR (auto.leader.rebalance.enable)")

    def _shrink_isr(self, gone: list[int], why: str) -> None:
        self.isr = [r for r in self.isr if r not in gone]
        self.kafka.emit(ISR_SHRUNK, None, self.node, None,
                        f"{why}: ISR of {self.name} is now {self.isr}",
                        {"partition": self.name, "isr": list(self.isr), "removed": gone})

    def _truncate_to(self, end: int, leader: int) -> None:
        """The new leader's log is the truth; records beyond its end are gone."""
        if end >= self.log.log_end:
            return
        for record in self.log.truncate(end):
            self.kafka.emit(LOST, record.id, self.node, None,
                            f"offset {record.offset} never reached broker {leader}, the new "
                            f"leader; it was above the high watermark, so it is truncated",
                            {"partition": self.name, "offset": record.offset},
                            {"rule": "truncated", "why": f"offset {record.offset} of "
                             f"{self.name} never reached broker {leader}, the new leader"})
        for replica in self.replicas:
            self.leo[replica] = min(self.leo[replica], self.log.log_end)
        self.high_watermark = min(self.high_watermark, self.log.log_end)


IMBALANCE_CHECK_SECONDS = 300
IMBALANCE_PERCENTAGE = 10


class Cluster:
    """Broker ids, whether each is up, and the controller's leader-balance check."""

    def __init__(self, broker_ids: list[int]) -> None:
        self.alive = dict.fromkeys(broker_ids, True)
        self._balance_check: Timer | None = None

    def live(self) -> list[int]:
        return [b for b, up in self.alive.items() if up]

    def schedule_leader_balance(self, sim: Simulation, partitions: Callable[[], Iterable[Partition]]
                                ) -> None:
        """Run the controller's check at its next interval (counted from cluster start)."""
        if self._balance_check is not None:
            return
        at = (sim.now // IMBALANCE_CHECK_SECONDS + 1) * IMBALANCE_CHECK_SECONDS
        self._balance_check = sim.call_at(at, self._balance_leaders, partitions)

    def _balance_leaders(self, partitions: Callable[[], Iterable[Partition]]) -> None:
        self._balance_check = None
        preferred: dict[int, list[Partition]] = {}
        for partition in partitions():
            preferred.setdefault(partition.preferred, []).append(partition)
        for broker, owned in preferred.items():
            displaced = [p for p in owned if p.leader != broker]
            if not self.alive[broker] or len(displaced) * 100 <= IMBALANCE_PERCENTAGE * len(owned):
                continue
            for partition in displaced:
                if broker in partition.isr:
                    partition.elect_preferred()
