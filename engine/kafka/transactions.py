"""Transactions: a producer writes to several partitions, and commits consumer offsets, atomically.

A producer created with a ``transactional_id`` (ProducerConfig "transactional.id") first calls
``init_transactions()``; the transaction coordinator gives it the producer id kept for that
transactional id and a new *epoch*. Then, as often as it likes: ``begin_transaction()``,
``send(...)`` records, ``send_offsets_to_transaction(offsets, group_id)``, and
``commit_transaction()`` or ``abort_transaction()``. Sources: KIP-98 "Exactly Once Delivery and
Transactional Messaging" (sections "Transactional Guarantees", "Transaction markers",
"Fencing", "Last stable offset", "Aborted transaction index"); the Java client's
TransactionManager (states and their transitions) and kafka-python's
kafka/producer/transaction_manager.py, which ports it.

Rules:
- The client's states and transitions are the table ``TRANSITIONS`` below (TransactionManager
  State.isTransitionValid). A call that would make an illegal transition raises
  IllegalStateException ("Invalid transition attempted from state X to state Y"; kafka-python
  raises KafkaError) and changes nothing. ``send`` outside a transaction raises
  IllegalStateException ("Cannot call send in state READY"; kafka-python IllegalStateError),
  ``send_offsets_to_transaction`` outside one too ("Cannot send offsets if a transaction is
  not in progress"; kafka-python KafkaError).
- Records sent in a transaction are appended at once, with the producer's id; the partition
  remembers the transaction's first offset. The *last stable offset* (LSO) is the high
  watermark or the first offset of the oldest open transaction, whichever is lower.
- Commit or abort: the coordinator writes a *transaction marker* (a control record, COMMIT or
  ABORT) to every partition the transaction wrote to. Markers take offsets, are replicated and
  counted like records (and against the room's budget), and are never returned by a poll. An
  abort is remembered in the partition's aborted transaction index.
- Offsets sent with ``send_offsets_to_transaction`` are committed to the group only when the
  transaction commits (TxnOffsetCommit is materialised by the COMMIT marker); an abort drops
  them.
- Consumers (consumer.py): ``isolation_level="read_committed"`` reads only below the LSO and
  skips aborted records; the default ``"read_uncommitted"`` reads up to the high watermark,
  aborted records included. Neither ever sees a marker.
- Fencing: ``init_transactions`` by a second producer with the same transactional id bumps the
  epoch and aborts the first one's open transaction; the first producer's next call that
  reaches the broker (send, send_offsets_to_transaction, commit, abort) raises
  ProducerFencedException, which is fatal. ``begin_transaction`` is client-side only in Kafka,
  so it succeeds on a fenced producer that was READY; its first send then fails.
- transaction.timeout.ms (default 60000): a transaction open longer than that is aborted by the
  coordinator, which also bumps the epoch (so the late producer is fenced).
- A partition without a leader gets its marker once a leader is elected (WriteTxnMarkers is
  retried until then); its LSO stays where the transaction began.
- A send the broker refuses inside a transaction (a refused batch) leaves it abortable only
  (ABORTABLE_ERROR): later sends and the commit raise KafkaException until
  ``abort_transaction()``. ``commit_transaction`` first sends the batches still waiting
  (linger.ms); ``abort_transaction`` fails them with TransactionAbortedException.
- ``close()`` aborts an open transaction (the Java Sender aborts an incomplete transaction on
  a graceful shutdown); a producer that simply stops (a crash) leaves it open until the
  timeout or until a new producer with its transactional id calls ``init_transactions``.

Simplifications: the coordinator answers at once (no PREPARE_COMMIT state a learner could
see); the log cleaner never removes markers or aborted records from compacted topics.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ..clock import Timer
from ..limits import full
from .arguments import is_whole, topic_partition
from .assignors import TopicPartition
from .errors import (
    IllegalArgumentException,
    IllegalStateException,
    KafkaException,
    KafkaStorageException,
    ProducerFencedException,
    TransactionAbortedException,
)
from .events import (
    MARKER_WRITTEN,
    PRODUCER_FENCED,
    TRANSACTION_ABORTED,
    TRANSACTION_BEGUN,
    TRANSACTION_COMMITTED,
    TRANSACTION_FAILED,
    TRANSACTION_OFFSETS,
)

if TYPE_CHECKING:
    from .cluster import Partition
    from .model import Kafka
    from .producer import Producer

UNINITIALIZED = "UNINITIALIZED"
INITIALIZING = "INITIALIZING"
READY = "READY"
IN_TRANSACTION = "IN_TRANSACTION"
COMMITTING_TRANSACTION = "COMMITTING_TRANSACTION"
ABORTING_TRANSACTION = "ABORTING_TRANSACTION"
ABORTABLE_ERROR = "ABORTABLE_ERROR"
FATAL_ERROR = "FATAL_ERROR"

#: target state -> the states it may be reached from (TransactionManager.State
#: isTransitionValid; FATAL_ERROR may be reached from any state).
TRANSITIONS: dict[str, frozenset[str]] = {
    INITIALIZING: frozenset({UNINITIALIZED}),
    READY: frozenset({INITIALIZING, COMMITTING_TRANSACTION, ABORTING_TRANSACTION}),
    IN_TRANSACTION: frozenset({READY}),
    COMMITTING_TRANSACTION: frozenset({IN_TRANSACTION}),
    ABORTING_TRANSACTION: frozenset({IN_TRANSACTION, ABORTABLE_ERROR}),
    ABORTABLE_ERROR: frozenset({IN_TRANSACTION, COMMITTING_TRANSACTION, ABORTABLE_ERROR}),
    UNINITIALIZED: frozenset(),
}

DEFAULT_TIMEOUT_MS = 60_000


@dataclass
class TransactionalId:
    """The coordinator's state for one transactional id (TransactionMetadata)."""

    transactional_id: str
    producer_id: int
    epoch: int = 0
    owner: Producer | None = None
    partitions: dict[TopicPartition, Partition] = field(default_factory=dict)
    offsets: dict[str, dict[TopicPartition, int]] = field(default_factory=dict)
    timeout_ms: int = DEFAULT_TIMEOUT_MS
    timer: Timer | None = None

    @property
    def ongoing(self) -> bool:
        return bool(self.partitions) or bool(self.offsets)


class TransactionCoordinator:
    """The broker side: one entry per transactional id; writes the markers."""

    def __init__(self, kafka: Kafka) -> None:
        self.kafka = kafka
        self.ids: dict[str, TransactionalId] = {}
        #: markers waiting for a partition without a leader: (entry, "commit"/"abort", source)
        self._waiting: dict[Partition, list[tuple[TransactionalId, str, str | None]]] = {}

    def init(self, producer: Producer, timeout_ms: int) -> TransactionalId:
        """InitProducerId: same producer id for the transactional id, epoch + 1; an older
        producer is fenced and its open transaction aborted."""
        tid = producer.transactional_id
        assert tid is not None
        entry = self.ids.get(tid)
        if entry is None:
            entry = self.ids[tid] = TransactionalId(tid, self.kafka.new_producer_id())
        else:
            if entry.ongoing:
                self.end(entry, commit=False,
                         why=f"a new producer ({producer.client_id}) called init_transactions "
                         f"for transactional.id {tid!r}")
            entry.epoch += 1
            self._fence(entry, f"{producer.client_id} called init_transactions with the same "
                        f"transactional.id {tid!r} (epoch {entry.epoch})")
        entry.owner = producer
        entry.timeout_ms = timeout_ms
        return entry

    def _fence(self, entry: TransactionalId, why: str) -> None:
        old = entry.owner
        if old is None or old.fenced:
            return
        old.fenced = True
        self.kafka.emit(PRODUCER_FENCED, None, old.node, None,
                        f"{old.client_id} is fenced: {why}; its next transactional call "
                        "raises ProducerFencedException",
                        {"transactional_id": entry.transactional_id, "epoch": entry.epoch})

    def leader_elected(self, partition: Partition) -> None:
        """A partition has a leader again: write the markers that waited for one."""
        for entry, kind, source in self._waiting.pop(partition, ()):
            if not partition.topic.deleted:
                self._write_marker(partition, entry, kind, source)

    def _write_marker(self, partition: Partition, entry: TransactionalId, kind: str,
                      source: str | None) -> None:
        first = partition.open_transactions.pop(entry.producer_id, None)
        marker = partition.append(None, None, (), 0, entry.producer_id, True, kind)
        if kind == "abort" and first is not None:
            partition.aborted.setdefault(entry.producer_id, []).append((first, marker.offset))
        self.kafka.emit(MARKER_WRITTEN, marker.id, source, partition.node,
                        f"{kind.upper()} marker for transactional.id {entry.transactional_id!r} "
                        f"at offset {marker.offset} of {partition.name}",
                        {"partition": partition.name, "offset": marker.offset, "marker": kind,
                         "transactional_id": entry.transactional_id,
                         "producer_id": entry.producer_id, "first_offset": first},
                        {"rule": "marker", "marker": kind, "offset": marker.offset,
                         "partition": partition.name})
        partition.replicate()

    def add_partition(self, entry: TransactionalId, partition: Partition, offset: int) -> None:
        """AddPartitionsToTxn: the partition is in the transaction from ``offset`` on."""
        if partition.tp not in entry.partitions:
            entry.partitions[partition.tp] = partition
            partition.open_transactions.setdefault(entry.producer_id, offset)
        self._start_timer(entry)

    def add_offsets(self, entry: TransactionalId, group_id: str,
                    offsets: dict[TopicPartition, int]) -> None:
        entry.offsets.setdefault(group_id, {}).update(offsets)
        self._start_timer(entry)

    def _start_timer(self, entry: TransactionalId) -> None:
        if entry.timer is None:
            entry.timer = self.kafka.sim.call_later(entry.timeout_ms / 1000,
                                                    lambda: self._timed_out(entry))

    def _timed_out(self, entry: TransactionalId) -> None:
        entry.timer = None
        if not entry.ongoing:
            return
        if not self.kafka.sim.fits(0, len(entry.partitions)):
            # the markers do not fit the room's budget yet: try again a second later
            entry.timer = self.kafka.sim.call_later(1.0, lambda: self._timed_out(entry))
            return
        self.end(entry, commit=False, why=f"transaction.timeout.ms={entry.timeout_ms} passed")
        entry.epoch += 1
        self._fence(entry, f"the coordinator aborted its transaction after "
                    f"transaction.timeout.ms={entry.timeout_ms}")
        if entry.owner is not None:
            entry.owner.txn_state = FATAL_ERROR

    def check_room(self, entry: TransactionalId) -> None:
        """Markers are records: refuse to end a transaction whose markers do not fit."""
        sim = self.kafka.sim
        if not sim.fits(0, len(entry.partitions)):
            raise KafkaStorageException(
                f"the transaction markers for {len(entry.partitions)} partition(s) cannot be "
                f"stored: {full(sim.limits)}; retry once consumers or retention free room")

    def end(self, entry: TransactionalId, commit: bool, why: str) -> None:
        """EndTxn: write a marker to every partition; commit or drop the offsets."""
        if entry.timer is not None:
            entry.timer.cancel()
            entry.timer = None
        kafka = self.kafka
        kind = "commit" if commit else "abort"
        source = entry.owner.node if entry.owner is not None else None
        for partition in entry.partitions.values():
            if partition.topic.deleted:
                continue
            if partition.leader is None:
                # WriteTxnMarkers waits for a leader; the LSO stays held until then
                self._waiting.setdefault(partition, []).append((entry, kind, source))
                continue
            self._write_marker(partition, entry, kind, source)
        partitions = sorted(str(tp) for tp in entry.partitions)
        offsets = entry.offsets
        entry.partitions, entry.offsets = {}, {}
        if commit:
            for group_id, chosen in offsets.items():
                kafka.group(group_id).commit_from(
                    source, chosen, f"transaction {entry.transactional_id!r} committed")
        kafka.emit(TRANSACTION_COMMITTED if commit else TRANSACTION_ABORTED, None, source, None,
                   f"transaction of {entry.transactional_id!r} committed" if commit else
                   f"transaction of {entry.transactional_id!r} aborted: {why}",
                   {"transactional_id": entry.transactional_id, "partitions": partitions,
                    "offsets": {g: {str(tp): o for tp, o in sorted(c.items())}
                                for g, c in offsets.items()}})


class TransactionalClient:
    """The producer's side of transactions (TransactionManager); mixed into Producer."""

    kafka: Kafka
    client_id: str
    node: str
    transactional_id: str | None
    txn_state: str
    fenced: bool
    txn: TransactionalId | None
    transaction_timeout_ms: int
    producer_id: int
    failed_send: KafkaException | None = None

    def _flush_all(self) -> KafkaException | None: ...  # the producer's

    def drop_pending(self, error: KafkaException) -> None: ...  # the producer's

    def init_transactions(self) -> None:
        """Get the producer id and a new epoch; fences any older producer with this
        transactional id and aborts its open transaction."""
        self._ensure_transactional()
        self._transition(INITIALIZING)
        self.txn = self.kafka.transactions.init(self, self.transaction_timeout_ms)  # type: ignore[arg-type]
        self.producer_id = self.txn.producer_id
        self.txn_state = READY

    def begin_transaction(self) -> None:
        """Start a transaction (client-side only, as in Kafka)."""
        self._ensure_transactional()
        self._maybe_fail()
        self._transition(IN_TRANSACTION)
        self.kafka.emit(TRANSACTION_BEGUN, None, self.node, None,
                        f"{self.client_id} began a transaction ({self.transactional_id!r})",
                        {"transactional_id": self.transactional_id})

    def send_offsets_to_transaction(self, offsets: Mapping[Any, Any], group_id: str) -> None:
        """Commit these consumer offsets for ``group_id`` if, and only if, the transaction
        commits. Values are offsets or OffsetAndMetadata-like objects with ``.offset``."""
        self._ensure_transactional()
        self._check_broker_call()
        if self.txn_state != IN_TRANSACTION:
            raise IllegalStateException(
                "Cannot send offsets if a transaction is not in progress (currentState= "
                f"{self.txn_state}); call begin_transaction() first")
        if not isinstance(group_id, str) or not group_id:
            raise IllegalArgumentException(f"group_id={group_id!r}: give the consumer's group id")
        if not isinstance(offsets, Mapping):
            raise IllegalArgumentException(
                f"offsets must map (topic, partition) to an offset, not {offsets!r}")
        chosen: dict[TopicPartition, int] = {}
        for tp, value in offsets.items():
            key = topic_partition(tp)
            self.kafka.require_partition(key)
            offset = getattr(value, "offset", value)
            if not is_whole(offset, 0):
                raise IllegalArgumentException(
                    f"offset {offset!r} for {key} is not allowed; give a whole number >= 0")
            chosen[key] = offset
        assert self.txn is not None
        self.kafka.transactions.add_offsets(self.txn, group_id, chosen)
        self.kafka.emit(TRANSACTION_OFFSETS, None, self.node, None,
                        f"{self.client_id} added offsets for group {group_id!r} to its "
                        "transaction; the group gets them only if it commits",
                        {"group": group_id, "transactional_id": self.transactional_id,
                         "offsets": {str(tp): o for tp, o in sorted(chosen.items())}})

    def commit_transaction(self) -> None:
        """Write COMMIT markers and commit the offsets sent to the transaction."""
        self._end(commit=True)

    def abort_transaction(self) -> None:
        """Write ABORT markers: read_committed consumers never see the records."""
        self._end(commit=False)

    def _end(self, commit: bool) -> None:
        self._ensure_transactional()
        self._check_broker_call(aborting=not commit)
        target = COMMITTING_TRANSACTION if commit else ABORTING_TRANSACTION
        self._check_transition(target)
        assert self.txn is not None
        if commit:
            self._flush_all()  # commitTransaction flushes first; a refused batch ...
            self._check_broker_call()  # ... leaves the transaction only abortable
        else:
            self.drop_pending(TransactionAbortedException(
                f"the transaction of {self.transactional_id!r} was aborted before this record "
                "was sent"))
        transactions = self.kafka.transactions
        transactions.check_room(self.txn)
        self.txn_state = target
        transactions.end(self.txn, commit, why=f"{self.client_id} called abort_transaction()")
        self.txn_state = READY
        self.failed_send = None

    def refused_in_transaction(self, error: KafkaException) -> None:
        """A send the broker refused inside a transaction: the transaction can now only be
        aborted (TransactionManager: ABORTABLE_ERROR)."""
        if self.transactional_id is not None and self.txn_state == IN_TRANSACTION:
            self.failed_send = error
            self.txn_state = ABORTABLE_ERROR
            self.kafka.emit(TRANSACTION_FAILED, None, self.node, None,
                            f"a send in {self.client_id}'s transaction was refused "
                            f"({error.code}); the transaction can only be aborted now",
                            {"transactional_id": self.transactional_id, "error": error.code})

    def check_send(self) -> None:
        """A transactional send needs an initialised producer inside a transaction."""
        if self.txn is None and not self.fenced:
            raise IllegalStateException(
                "Cannot perform a 'send' before completing a call to init_transactions when "
                "transactions are enabled.")
        self._check_broker_call()
        if self.txn_state != IN_TRANSACTION:
            raise IllegalStateException(f"Cannot call send in state {self.txn_state}; call "
                                        "begin_transaction() first")

    def sent_in_transaction(self, partition: Partition, offset: int) -> None:
        assert self.txn is not None
        self.kafka.transactions.add_partition(self.txn, partition, offset)

    def abort_on_close(self) -> None:
        if self.txn is not None and not self.fenced and \
                self.txn_state in (IN_TRANSACTION, ABORTABLE_ERROR):
            self.txn_state = ABORTING_TRANSACTION
            self.kafka.transactions.end(self.txn, commit=False,
                                        why=f"{self.client_id} was closed during the "
                                        "transaction")
            self.txn_state = READY

    # -- checks -------------------------------------------------------------------------------
    def _ensure_transactional(self) -> None:
        if self.transactional_id is None:
            raise IllegalStateException(
                "Transactional method invoked on a non-transactional producer; create it with "
                "transactional_id=...")
        if getattr(self, "closed", False):
            raise IllegalStateException(
                f"Cannot perform operation after producer has been closed ({self.client_id})")

    def _maybe_fail(self) -> None:
        if self.txn_state == FATAL_ERROR:
            raise ProducerFencedException(self._fenced_text())

    def _check_broker_call(self, aborting: bool = False) -> None:
        """A call that reaches the broker: a fenced producer learns it here, fatally."""
        if self.fenced:
            self.txn_state = FATAL_ERROR
        if self.txn_state == FATAL_ERROR:
            raise ProducerFencedException(self._fenced_text())
        if self.txn_state == ABORTABLE_ERROR and not aborting:
            cause = self.failed_send
            raise KafkaException(
                "Cannot perform send because at least one previous transactional or "
                "idempotent request has failed with errors "
                f"({cause.code if cause else 'error'}: {cause}); call abort_transaction()")

    def _fenced_text(self) -> str:
        return (f"There is a newer producer with the same transactional.id "
                f"{self.transactional_id!r}, or the coordinator aborted this producer's "
                f"transaction; {self.client_id} is fenced: close it")

    def _check_transition(self, target: str) -> None:
        if self.txn_state not in TRANSITIONS[target]:
            raise IllegalStateException(
                f"TransactionalId {self.transactional_id}: Invalid transition attempted from "
                f"state {self.txn_state} to state {target}")

    def _transition(self, target: str) -> None:
        self._check_transition(target)
        self.txn_state = target
