"""The consumer: joins a group, polls records from its partitions, commits offsets.

A consumer reads a partition from its *position* (the next offset it will get) up to the high
watermark, in offset order; ordering holds within a partition only. Reading does not remove
anything: committing stores the position as the group's offset, so whoever owns the partition
next starts there. Sources: KafkaConsumer javadoc ("Offsets and Consumer Position",
"Automatic Offset Committing", "Manual Offset Control", "Controlling The Consumer's
Position"); consumer configs auto.offset.reset, enable.auto.commit, auto.commit.interval.ms,
max.poll.records (default 500) at https://kafka.apache.org/documentation/#consumerconfigs.

- With no committed offset, auto.offset.reset decides: earliest = the log start, latest = the
  high watermark, none = NoOffsetForPartitionException. A position outside the log (retention
  deleted the records it pointed at, or a seek past the end) is reset the same way, or raises
  OffsetOutOfRangeException with none; the skipped records are shown in an offset-reset event.
- Auto-commit commits the positions reached by poll every auto.commit.interval.ms, before a
  rebalance takes partitions away, and on close. The Java client does the interval commit
  inside the next poll; mqlab schedules it on the virtual clock at the interval, so it happens
  even if the application stops polling. A crash (``crash()``) commits nothing: the records
  polled since the last commit are read again by the next owner (at-least-once).
- ``poll`` never blocks: it returns what is readable now (its timeout is accepted and ignored)
  and, as a real poll does, first rejoins a rebalance of its group that waits for it.
- isolation.level (KIP-98; transactions.py): ``read_uncommitted`` (the default) reads up to
  the high watermark, records of open and aborted transactions included;
  ``read_committed`` reads only below the last stable offset and skips aborted records, and
  its ``latest`` is the LSO. Transaction markers are never returned to either, but the
  position moves past them.
- Partitions are fetched in turn starting one further each poll, so one busy partition cannot
  starve the rest (the Java fetcher also rotates partitions).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

from ..clock import Timer
from .arguments import as_list, is_whole, topic_partition, whole
from .assignors import STRATEGIES, TopicPartition
from .errors import (
    CommitFailedException,
    ConfigException,
    IllegalArgumentException,
    IllegalStateException,
    InvalidGroupIdException,
    NoOffsetForPartitionException,
    OffsetOutOfRangeException,
)
from .events import (
    CONSUMER_CRASHED,
    DELIVERED,
    OFFSET_RESET,
    REVOKED,
    SEEKED,
    consumer_node,
    preview,
    record_view,
)
from .log import Record

if TYPE_CHECKING:
    from .cluster import Partition
    from .coordinator import Group
    from .model import Kafka

_RESETS = ("earliest", "latest", "none")
ISOLATION_LEVELS = ("read_uncommitted", "read_committed")
MAX_POLL_RECORDS = 500


class Consumer:
    def __init__(self, kafka: Kafka, group_id: str | None, client_id: str,
                 auto_offset_reset: str, enable_auto_commit: bool,
                 auto_commit_interval_ms: int, partition_assignment_strategy: str,
                 session_timeout_ms: int, isolation_level: str = "read_uncommitted") -> None:
        if isolation_level not in ISOLATION_LEVELS:
            raise ConfigException(f"isolation_level={isolation_level!r} is not allowed; use "
                                  f"one of {', '.join(ISOLATION_LEVELS)}")
        if auto_offset_reset not in _RESETS:
            raise ConfigException(f"auto_offset_reset={auto_offset_reset!r} is not allowed; "
                                  f"use one of {', '.join(_RESETS)}")
        if partition_assignment_strategy not in STRATEGIES:
            raise ConfigException(
                f"partition_assignment_strategy={partition_assignment_strategy!r} is not "
                f"allowed; use one of {', '.join(STRATEGIES)}")
        for name, value in (("auto_commit_interval_ms", auto_commit_interval_ms),
                            ("session_timeout_ms", session_timeout_ms)):
            if isinstance(value, bool) or not isinstance(value, int | float) or value <= 0:
                raise ConfigException(f"{name}={value!r} is not allowed; give milliseconds > 0")
        if group_id is not None and (not isinstance(group_id, str) or not group_id):
            raise InvalidGroupIdException(f"group_id={group_id!r} is not allowed; give a "
                                          "non-empty string, or None for no group")
        self.kafka = kafka
        self.group_id = group_id
        self.client_id = client_id
        self.node = consumer_node(client_id)
        # Kafka's member ids are client.id + "-" + a random UUID (GroupMetadata.generateMemberId)
        self.member_id = f"{client_id}-{uuid.UUID(int=kafka.sim.random.getrandbits(128))}"
        self.auto_offset_reset = auto_offset_reset
        self.isolation_level = isolation_level
        self.read_committed = isolation_level == "read_committed"
        self.enable_auto_commit = bool(enable_auto_commit)
        self.auto_commit_interval_ms = auto_commit_interval_ms
        self.strategy = partition_assignment_strategy
        self.session_timeout_ms = session_timeout_ms
        self.state = "active"
        self.subscription: list[str] = []
        self._assignment: list[TopicPartition] = []
        #: next offset per partition; None = from the committed offset, or a reset strategy
        self._positions: dict[TopicPartition, int | str | None] = {}
        #: first offset polled per partition since the position was last set (for contents)
        self._read_from: dict[TopicPartition, int] = {}
        self._cursor = 0
        self._auto_commit: Timer | None = None
        #: the last poll returned records: the application is processing them, and will rejoin
        #: a rebalance only at its next poll (see coordinator.py)
        self.busy = False

    @property
    def alive(self) -> bool:
        return self.state == "active"

    @property
    def group(self) -> Group | None:
        """This consumer's group, once someone has joined it."""
        return self.kafka.groups.get(self.group_id) if self.group_id is not None else None

    # -- subscription -------------------------------------------------------------------------
    def subscribe(self, topics: Iterable[str] | str) -> None:
        """Join the group for these topics (a new list replaces the old one)."""
        self._check_usable()
        names = [topics] if isinstance(topics, str) else as_list(topics, "topics")
        for name in names:
            if not isinstance(name, str) or not name:
                raise IllegalArgumentException(
                    f"topic {name!r} in subscribe() is not allowed; give non-empty topic names")
        group_id = self._require_group_id("subscribe")
        if not names:
            self.unsubscribe()
            return
        group = self.kafka.group(group_id)
        previous, wanted = self.subscription, sorted(set(names))
        if not group.is_member(self):
            group.join(self)  # may refuse; the rebalance it starts reads the subscription later
            self.subscription = wanted
        elif previous != wanted:
            self.subscription = wanted
            group.request_rebalance(f"{self.client_id} changed its subscription")

    def unsubscribe(self) -> None:
        self._check_usable()
        group = self.group
        if group is not None and group.is_member(self):
            group.leave(self, "unsubscribed")
        self.subscription = []

    def assignment(self) -> list[TopicPartition]:
        """The partitions this consumer owns now, sorted."""
        return list(self._assignment)

    # -- polling ------------------------------------------------------------------------------
    def poll(self, timeout_ms: float = 0, max_records: int | None = None) -> list[Record]:
        """Records readable now, up to max_records (default max.poll.records=500)."""
        self._check_usable()
        limit = MAX_POLL_RECORDS if max_records is None else whole("max_records", max_records, 1)
        if not self.subscription:
            raise IllegalStateException(
                f"{self.client_id} is not subscribed to any topics; call subscribe() first")
        self.busy = False
        group = self.group
        if group is not None and group.is_member(self):
            group.rejoin(self)
        elif group is not None:
            # removed by the rebalance timeout: the next poll joins the group again
            # (AbstractCoordinator.java: a consumer that lost its membership rejoins in poll)
            group.join(self)
        records: list[Record] = []
        assigned = self._assignment
        count = len(assigned)
        for i in range(count):
            tp = assigned[(self._cursor + i) % count]
            records.extend(self._fetch(tp, limit - len(records)))
            if len(records) >= limit:
                break
        if count:
            self._cursor = (self._cursor + 1) % count
        if records and self.enable_auto_commit and self._auto_commit is None:
            self._auto_commit = self.kafka.sim.call_later(self.auto_commit_interval_ms / 1000,
                                                          self._auto_commit_due)
        self.busy = bool(records)
        return records

    def _fetch(self, tp: TopicPartition, limit: int) -> list[Record]:
        partition = self.kafka.partition(tp)
        if partition is None or partition.leader is None:
            return []
        position = self._fetch_position(tp, partition)
        records = partition.log.read(position, self._readable_end(partition), limit)
        if not records:
            return records
        return self.fetched(tp, partition, records)

    def fetched(self, tp: TopicPartition, partition: Partition,
                records: list[Record]) -> list[Record]:
        """``records`` (read from ``tp``'s log, in order) reach this consumer: its position
        moves past them and each visible one is delivered. ``poll`` calls it, and so does
        mqlab's Kafka listener for a real client's Fetch (its client keeps the position)."""
        self._positions[tp] = records[-1].offset + 1
        self._read_from.setdefault(tp, records[0].offset)
        group = self.group
        seen = group.note_delivered(tp, records[-1].offset + 1) if group is not None else 0
        if partition.open_transactions or partition.aborted or any(
                r.control is not None for r in records):
            records = self._visible(partition, records)
        kafka = self.kafka
        if not kafka.sim.listening:
            for record in records:
                kafka.emit(DELIVERED, record.id, partition.node, self.node, "", None)
            return records
        # Who owns the partition and by which rule: the group's assignor, or assign() by hand.
        assignor = self.strategy if group is not None else "manual (assign())"
        for record in records:
            again = record.offset < seen
            kafka.emit(DELIVERED, record.id, partition.node, self.node,
                       f"{self.client_id} polled offset {record.offset} of {tp}"
                       + (" again: the group read it before (a duplicate)" if again else ""),
                       {"group": self.group_id, "topic": record.topic,
                        "partition": record.partition, "offset": record.offset,
                        "key": preview(record.key), "value": preview(record.value),
                        "headers": {n: preview(v) for n, v in record.headers},
                        "timestamp": record.timestamp, "again": again},
                       {"rule": "assignment", "consumer": self.client_id, "partition": str(tp),
                        "assignor": assignor, "group": self.group_id, "offset": record.offset,
                        "again": again})
        return records

    def _readable_end(self, partition: Partition) -> int:
        """Where reading stops: the LSO for read_committed, else the high watermark."""
        return partition.last_stable_offset if self.read_committed else \
            partition.high_watermark

    def _visible(self, partition: Partition, records: list[Record]) -> list[Record]:
        """What the application gets: never a marker; for read_committed no aborted record."""
        if self.read_committed:
            return [r for r in records if r.control is None and not partition.is_aborted(r)]
        return [r for r in records if r.control is None]

    def _fetch_position(self, tp: TopicPartition, partition: Partition) -> int:
        """The position to read from, resolved or reset as auto.offset.reset says."""
        position = self._positions.get(tp)
        if position is None:
            group = self.group
            committed = group.committed.get(tp) if group is not None else None
            if committed is None:
                return self._reset(tp, partition, None, "no committed offset")
            position = committed
        elif isinstance(position, str):
            return self._reset(tp, partition, None, "seek", strategy=position)
        log = partition.log
        if position < log.log_start or position > log.log_end:
            return self._reset(tp, partition, position, "out of range")
        self._positions[tp] = position
        return position

    def _reset(self, tp: TopicPartition, partition: Partition, old: int | None, why: str,
               strategy: str | None = None) -> int:
        strategy = strategy or self.auto_offset_reset
        log = partition.log
        if strategy == "none":
            if old is None:
                raise NoOffsetForPartitionException(
                    f"group {self.group_id!r} has no committed offset for {tp} and "
                    "auto_offset_reset is 'none'; commit or seek first, or use earliest/latest")
            raise OffsetOutOfRangeException(
                f"position {old} of {tp} is outside the log (offsets {log.log_start}.."
                f"{log.log_end}) and auto_offset_reset is 'none'; seek to a valid offset")
        new = log.log_start if strategy == "earliest" else self._readable_end(partition)
        self._positions[tp] = new
        skipped = max(0, new - old) if old is not None else 0
        reason = f"{why}: auto.offset.reset={strategy} moves {self.client_id} to offset {new}"
        if old is not None and old < log.log_start:
            reason = (f"position {old} of {tp} was deleted by retention (log starts at "
                      f"{log.log_start}); {self.client_id} jumps to {new}, skipping {skipped} "
                      "record(s) it never read")
        self.kafka.emit(OFFSET_RESET, None, partition.node, self.node, reason,
                        {"partition": str(tp), "from": old, "to": new, "strategy": strategy,
                         "skipped": skipped, "group": self.group_id})
        return new

    def position(self, tp: tuple[str, int]) -> int:
        """The offset of the next record this consumer will get from ``tp``."""
        self._check_usable()
        key = self._assigned(tp, "You can only check the position for partitions assigned "
                             "to this consumer")
        partition = self.kafka.partition(key)
        if partition is None:
            raise IllegalStateException(f"partition {key} no longer exists")
        return self._fetch_position(key, partition)

    def seek(self, tp: tuple[str, int], offset: int) -> None:
        """Read ``tp`` from ``offset`` next (checked against the log on the next poll)."""
        self._check_usable()
        key = self._assigned(tp, "No current assignment for partition")
        if not is_whole(offset, 0):
            raise IllegalArgumentException(
                f"seek offset {offset!r} for {key} is not allowed; give a whole number >= 0")
        self._seek(key, offset, f"{self.client_id} seeks {key} to offset {offset}")

    def seek_to_beginning(self, partitions: Iterable[tuple[str, int]] | None = None) -> None:
        """Replay: the next poll reads these partitions (default: all assigned) from the start."""
        self._seek_to("earliest", partitions)

    def seek_to_end(self, partitions: Iterable[tuple[str, int]] | None = None) -> None:
        self._seek_to("latest", partitions)

    def _seek_to(self, where: str, partitions: Iterable[tuple[str, int]] | None) -> None:
        self._check_usable()
        chosen = self.assignment() if partitions is None else \
            [self._assigned(tp, "No current assignment for partition")
             for tp in as_list(partitions, "partitions")]
        for tp in chosen:
            self._seek(tp, where, f"{self.client_id} seeks {tp} to the "
                       f"{'beginning' if where == 'earliest' else 'end'}")

    def _seek(self, tp: TopicPartition, where: int | str, reason: str) -> None:
        self._positions[tp] = where
        self._read_from.pop(tp, None)
        partition = self.kafka.partition(tp)
        self.kafka.emit(SEEKED, None, self.node,
                        partition.node if partition is not None else None, reason,
                        {"partition": str(tp), "to": where, "group": self.group_id})

    # -- offsets ------------------------------------------------------------------------------
    def commit(self, offsets: Mapping[tuple[str, int], int] | None = None) -> None:
        """commitSync: store the positions (or the given offsets) as the group's offsets."""
        self._check_usable()
        self._require_group_id("commit")
        group = self.group
        if group is None or not group.is_member(self):
            raise CommitFailedException(
                f"{self.client_id} is not a member of group {self.group_id!r}; subscribe first")
        chosen = self._consumed() if offsets is None else self._checked_offsets(offsets)
        group.commit(self, chosen, "commitSync")

    def committed(self, tp: tuple[str, int]) -> int | None:
        """The group's committed offset for ``tp``, or None."""
        self._check_usable()
        self._require_group_id("committed")
        group = self.group
        return group.committed.get(topic_partition(tp)) if group is not None else None

    def _consumed(self) -> dict[TopicPartition, int]:
        """Positions to commit: partitions read so far that still exist."""
        return {tp: pos for tp in self._assignment
                if isinstance(pos := self._positions.get(tp), int)
                and self.kafka.partition(tp) is not None}

    def _checked_offsets(self, offsets: Mapping[tuple[str, int], int]) -> dict[TopicPartition, int]:
        if not isinstance(offsets, Mapping):
            raise IllegalArgumentException(
                f"offsets must map (topic, partition) to an offset, not {offsets!r}")
        result = {}
        for tp, offset in offsets.items():
            key = topic_partition(tp)
            self.kafka.require_partition(key)
            if not is_whole(offset, 0):
                raise IllegalArgumentException(
                    f"commit offset {offset!r} for {key} is not allowed; give a whole number >= 0")
            result[key] = offset
        return result

    def _auto_commit_due(self) -> None:
        self._auto_commit = None
        group = self.group
        if self.alive and group is not None and group.is_member(self):
            changed = {tp: off for tp, off in self._consumed().items()
                       if group.committed.get(tp) != off}
            if changed:
                group.commit(self, changed, f"auto-commit every {self.auto_commit_interval_ms} ms")

    # -- group callbacks ----------------------------------------------------------------------
    def prepare_rejoin(self, eager: bool) -> None:
        """Before rejoining a rebalance: commit what was consumed if auto-commit is on, and
        under an eager strategy give up every partition (ConsumerCoordinator.java onJoinPrepare:
        maybeAutoCommitOffsetsSync, then onPartitionsRevoked)."""
        group = self.group
        if self.enable_auto_commit and group is not None:
            self._commit_changed(group, self._assignment, "auto-commit before rejoining the "
                                 "rebalance")
        if eager:
            self.revoke(self.assignment(), "eager rebalance: every member gives up all its "
                        "partitions before rejoining")

    def _commit_changed(self, group: Group, partitions: list[TopicPartition], how: str) -> None:
        changed = {tp: off for tp, off in self._consumed().items()
                   if tp in partitions and group.committed.get(tp) != off}
        if changed:
            group.commit(self, changed, how)

    def revoke(self, partitions: list[TopicPartition], why: str) -> None:
        """Give up partitions; auto-commit their positions first if this consumer is alive."""
        if not partitions:
            return
        group = self.group
        if self.alive and self.enable_auto_commit and group is not None:
            self._commit_changed(group, partitions, "auto-commit before the partitions are "
                                 "revoked")
        self._assignment = [tp for tp in self._assignment if tp not in partitions]
        for tp in partitions:
            self._positions.pop(tp, None)
            self._read_from.pop(tp, None)
        self.kafka.emit(REVOKED, None, self.node, group.node if group is not None else None,
                        f"{self.client_id} gives up {', '.join(map(str, partitions))}: {why}",
                        {"group": self.group_id, "partitions": [str(tp) for tp in partitions]})

    def receive(self, partitions: list[TopicPartition], generation: int,
                keep_positions: bool) -> None:
        """The group's new assignment for this member."""
        if not keep_positions:
            self._positions = {}
            self._read_from = {}
        self._assignment = sorted(partitions)
        self._positions = {tp: self._positions.get(tp) for tp in self._assignment}
        self._cursor = 0
        group = self.group
        if group is not None:
            group.emit_assigned(self, self._assignment)

    # -- lifecycle ----------------------------------------------------------------------------
    def close(self) -> None:
        """Commit (if auto-commit is on), leave the group at once, and stop."""
        if self.state == "closed":
            return
        self._check_usable()
        group = self.group
        if self.enable_auto_commit and group is not None and group.is_member(self):
            self._auto_commit_due()
        self._stop("closed")
        if group is not None and group.is_member(self):
            group.leave(self, "closed and left the group")
        else:
            self.kafka.remove_consumer(self, "closed")

    def crash(self) -> None:
        """Die without leaving the group or committing; the coordinator notices only after
        session.timeout.ms without heartbeats, and until then its partitions are not read."""
        self._check_usable()
        self._stop("crashed")
        self.kafka.emit(CONSUMER_CRASHED, None, self.node, None,
                        f"{self.client_id} crashed without committing: what it polled since its "
                        "last commit will be read again by the next owner, and its partitions "
                        f"wait for the session timeout ({self.session_timeout_ms} ms)",
                        {"group": self.group_id})
        group = self.group
        if group is not None and group.is_member(self):
            group.crashed(self)
        else:
            self.kafka.remove_consumer(self, "crashed outside any group")

    def _stop(self, state: str) -> None:
        self.state = state
        if self._auto_commit is not None:
            self._auto_commit.cancel()
            self._auto_commit = None

    def _uncommitted(self) -> list[Record]:
        group = self.group
        result: list[Record] = []
        for tp, start in self._read_from.items():
            position, partition = self._positions.get(tp), self.kafka.partition(tp)
            committed = group.committed.get(tp) if group is not None else None
            if isinstance(position, int) and partition is not None:
                first = max(start, committed) if committed is not None else start
                # what poll returned: never a marker, and no aborted record if read_committed
                result.extend(self._visible(
                    partition, partition.log.read(first, position, position - first)))
        return result

    # -- checks -------------------------------------------------------------------------------
    def _check_usable(self) -> None:
        if self.state == "closed":
            raise IllegalStateException(f"This consumer has already been closed "
                                        f"({self.client_id})")
        if self.state == "crashed":
            raise IllegalStateException(f"consumer {self.client_id} has crashed; create a new "
                                        "consumer to take its place")

    def _require_group_id(self, action: str) -> str:
        if self.group_id is None:
            raise InvalidGroupIdException(
                f"{action}() needs a group: create the consumer with group_id=...")
        return self.group_id

    def _assigned(self, tp: Any, message: str) -> TopicPartition:
        key = topic_partition(tp)
        if key not in self._assignment:
            raise IllegalStateException(f"{message}: {key} (assigned: "
                                        f"{', '.join(map(str, self._assignment)) or 'none'})")
        return key

    def contents(self) -> dict[str, Any]:
        """Assignment and positions; ``messages`` are the records polled since the group's last
        commit (newest 100, oldest first): the ones a crash now would make someone read again."""
        uncommitted = self._uncommitted()
        return {
            "messages": [record_view(r) for r in uncommitted[-100:]],
            "counters": {"assigned": len(self._assignment), "uncommitted": len(uncommitted)},
            "state": self.state, "group": self.group_id, "member_id": self.member_id,
            "isolation_level": self.isolation_level,
            "assignment": [str(tp) for tp in self._assignment],
            "position": {str(tp): pos for tp, pos in self._positions.items()},
        }
