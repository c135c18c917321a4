"""The producer: sends records to a topic's partitions, with acks and idempotence.

- ``acks`` (ProducerConfig "acks"): 0 = fire and forget (the producer never hears back; a
  record sent to a partition without a leader is silently lost), 1 = the leader wrote it,
  ``"all"`` (= -1) = every in-sync replica has it; the leader refuses acks=all writes while the
  ISR is smaller than min.insync.replicas (NotEnoughReplicasException).
- Idempotence (KIP-98, ProducerConfig "enable.idempotence", default true since Kafka 3.0):
  the broker gives the producer an id and tracks a sequence number per partition; a retried
  send that the broker already wrote is recognised and not written twice. Kafka requires
  acks=all for it; when acks is 0 or 1 and idempotence was not set explicitly, the client turns
  it off (Kafka 3.2+), which is what mqlab does whatever the argument (it cannot tell a
  default from an explicit value).
- A retry happens when a produce response is lost (``sim.kafka.lose_produce_responses``):
  the record was written, the producer did not hear so, and sends it again (retries defaults
  to MAX_INT). Without idempotence that writes a duplicate at a new offset.
- Transactions (``transactional_id``; transactions.py): a transactional producer is always
  idempotent (Kafka refuses transactional.id with enable.idempotence=false or acks other than
  all: ConfigException); its sends must fall between begin_transaction() and
  commit_transaction() / abort_transaction().
- Unknown topics are refused with UnknownTopicOrPartitionException: mqlab behaves as a broker
  with auto.create.topics.enable=false (the usual production setting; Kafka's default is true).
- Batching (ProducerConfig "linger.ms", "batch.size"; the Java RecordAccumulator): records
  for one partition are collected into a *batch*, and a batch is what the broker accepts or
  refuses, whole. With ``linger_ms`` > 0, ``send`` only adds the record to its partition's open
  batch and returns a FutureRecordMetadata; the batch goes out when it holds ``batch_size``
  bytes, when linger.ms has passed on the virtual clock, on ``flush()`` / ``close()``, or when
  a future's ``get()`` waits for it. ``send_batch`` collects its records the same way and sends
  every batch before it returns. A refused batch (no leader, NotEnoughReplicas, the room's
  budget) fails every record in it together — records that would have fitted alone too —
  each ending in a ``dropped`` event; batches of other partitions are not affected. A lost
  response makes the producer retry the whole batch (idempotence recognises it whole).
  mqlab's default linger.ms is kafka-python's, 0 (Kafka 4.0 made it 5): ``send`` then sends at
  once, which is the rest of this docstring.
- ``send`` with linger.ms 0 happens at once; ``flush`` has nothing to wait for. It returns as a
  blocking ``send(...).get()`` does: with acks=all once
  every in-sync replica has copied the record (so the high watermark has passed it and a
  leader change cannot take it back); with acks=1 as soon as the leader wrote it, the
  followers copying it when the simulation next runs (``sim.advance(0)``) — the window in
  which a leader failure loses an acknowledged acks=1 write.
Producer configs: https://kafka.apache.org/documentation/#producerconfigs
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, NamedTuple

from ..limits import full
from ..nesting import MAX_NESTING, too_deep
from .arguments import as_list, is_whole
from .errors import (
    ConfigException,
    IllegalStateException,
    InvalidRecordException,
    KafkaException,
    KafkaStorageException,
    SerializationException,
    UnknownTopicOrPartitionException,
)
from .events import (
    APPENDED,
    BOUND,
    DROPPED,
    PRODUCED,
    RETRIED,
    preview,
    producer_node,
    topic_node,
)
from .log import Record, timestamp_ms
from .partitioner import StickyPartitioner, hash_partition
from .transactions import DEFAULT_TIMEOUT_MS, UNINITIALIZED, TransactionalClient

if TYPE_CHECKING:
    from ..clock import Timer
    from .cluster import Partition
    from .model import Kafka
    from .topic import Topic
    from .transactions import TransactionalId

_ACKS = {0: "0", "0": "0", 1: "1", "1": "1", "all": "all", -1: "all", "-1": "all"}


@dataclass(frozen=True, slots=True)
class RecordMetadata:
    """Where a sent record landed (Kafka's RecordMetadata); offset -1 when acks=0 lost it."""

    topic: str
    partition: int
    offset: int
    timestamp: int

    def get(self, timeout: float | None = None) -> RecordMetadata:
        """The send's result. Java's ``send(...).get()`` and kafka-python's future both wait
        here; mqlab's send has already finished, so this returns at once."""
        return self


class FutureRecordMetadata:
    """A record waiting in a batch (kafka-python's FutureRecordMetadata): ``is_done``,
    ``succeeded()``, ``failed()``, ``exception``, and ``get()``, which sends the batch now
    (Java's ``get()`` waits for it) and returns the RecordMetadata or raises the batch's
    error."""

    def __init__(self, producer: Producer, batch: _Batch) -> None:
        self._producer = producer
        self._batch: _Batch | None = batch
        self.value: RecordMetadata | None = None
        self.exception: KafkaException | None = None

    @property
    def is_done(self) -> bool:
        return self._batch is None

    def succeeded(self) -> bool:
        return self.is_done and self.exception is None

    def failed(self) -> bool:
        return self.exception is not None

    def get(self, timeout: float | None = None) -> RecordMetadata:
        if self._batch is not None:
            self._producer.send_now(self._batch)
        if self.exception is not None:
            raise self.exception
        assert self.value is not None
        return self.value

    def done(self, value: RecordMetadata | None, error: KafkaException | None) -> None:
        self._batch, self.value, self.exception = None, value, error


@dataclass
class _Batch:
    """Records for one partition that go to the broker together (ProducerBatch)."""

    target: Partition
    items: list[tuple[_Route, Any, Any, FutureRecordMetadata | None]] = field(
        default_factory=list)
    size: int = 0
    timer: Timer | None = None
    sent: bool = False


class _Checked(NamedTuple):
    """A record whose arguments passed the checks: its topic, headers and size."""

    topic: Topic
    headers: tuple[tuple[str, Any], ...]
    size: int


class _Route(NamedTuple):
    """A checked send: the partition it goes to and the record's headers and size."""

    target: Partition
    headers: tuple[tuple[str, Any], ...]
    size: int
    how: str  # "explicit partition", "key hash" or "sticky partitioner"


#: how ``_route`` picked the partition → the cause rule ("retry" for a re-send)
PARTITION_RULES = {"key hash": "key-hash", "sticky partitioner": "sticky",
                   "explicit partition": "explicit-partition"}


class Producer(TransactionalClient):
    def __init__(self, kafka: Kafka, client_id: str, acks: Any, enable_idempotence: bool,
                 batch_size: int, transactional_id: str | None = None,
                 transaction_timeout_ms: int = DEFAULT_TIMEOUT_MS, linger_ms: int = 0) -> None:
        if not isinstance(acks, int | str) or acks not in _ACKS:
            raise ConfigException(f"acks={acks!r} is not allowed; use 0, 1 or 'all' (-1)")
        if transactional_id is not None:
            if not isinstance(transactional_id, str) or not transactional_id:
                raise ConfigException(f"transactional_id={transactional_id!r} is not allowed; "
                                      "give a non-empty string")
            # ProducerConfig.postProcessAndValidateIdempotenceConfigs
            if not enable_idempotence:
                raise ConfigException("Cannot set a transactional.id without also enabling "
                                      "idempotence.")
            if _ACKS[acks] != "all":
                raise ConfigException("Must set acks to all in order to use the idempotent "
                                      "producer. Otherwise we cannot guarantee idempotence "
                                      "(transactional_id needs acks='all').")
            if not is_whole(transaction_timeout_ms, 1):
                raise ConfigException(f"transaction_timeout_ms={transaction_timeout_ms!r} is not "
                                      "allowed; give milliseconds >= 1")
        # batch.size is at least 0 (ProducerConfig); 0 turns batching off, and KafkaProducer
        # then gives the sticky partitioner max(1, batch.size) bytes.
        if not is_whole(batch_size, 0):
            raise ConfigException(f"batch_size={batch_size!r} is not allowed; give bytes >= 0")
        if not is_whole(linger_ms, 0):
            raise ConfigException(f"linger_ms={linger_ms!r} is not allowed; give ms >= 0")
        self.linger_ms = linger_ms
        #: the accumulator: each partition's open batch
        self._open: dict[tuple[str, int], _Batch] = {}
        self.kafka = kafka
        self.client_id = client_id
        self.node = producer_node(client_id)
        self.acks = _ACKS[acks]
        self.idempotent = bool(enable_idempotence) and self.acks == "all"
        self.batch_size = batch_size
        self.transactional_id = transactional_id
        self.transaction_timeout_ms = transaction_timeout_ms
        self.txn_state = UNINITIALIZED
        self.fenced = False
        self.txn: TransactionalId | None = None
        # a transactional producer gets its id from init_transactions()
        self.producer_id = kafka.new_producer_id() if self.idempotent and \
            transactional_id is None else -1
        self._sequence: dict[tuple[str, int], int] = {}
        self._sticky: dict[str, StickyPartitioner] = {}
        self._topics: set[str] = set()
        self.sent = 0
        self.closed = False

    def send(self, topic: str, value: Any = None, key: str | bytes | None = None,
             partition: int | None = None, headers: Any = None
             ) -> RecordMetadata | FutureRecordMetadata:
        """Send one record; returns where it landed (with linger_ms > 0: a future, the
        record waiting in its partition's batch). Errors leave the log unchanged."""
        checked = self._check(topic, value, key, partition, headers)
        if self.linger_ms == 0:
            return self._send(self._route(checked, key, partition), value, key)
        future = FutureRecordMetadata(self, None)  # type: ignore[arg-type]
        batch = self._accumulate(self._route(checked, key, partition), value, key, future)
        future._batch = batch
        if batch.size >= self.batch_size:
            self.send_now(batch)  # a full batch is ready at once, whatever linger.ms says
        return future

    def send_batch(self, topic: str, records: Iterable[Any]) -> list[RecordMetadata]:
        """Send several records to one topic, in order. Each is a value, or a mapping with
        ``value``, ``key``, ``partition``, ``headers``. Every record's arguments are checked
        before any is sent; a broker refusal (e.g. NotEnoughReplicas) stops the batch at that
        record, as it would stop separate sends."""
        items = []
        for item in as_list(records, "records"):
            fields = dict(item) if isinstance(item, Mapping) else {"value": item}
            unknown = set(fields) - {"value", "key", "partition", "headers"}
            if unknown:
                raise ConfigException(f"send_batch record has unknown field(s) {sorted(unknown)}; "
                                      "use value, key, partition, headers")
            value, key, partition = fields.get("value"), fields.get("key"), fields.get("partition")
            items.append((self._check(topic, value, key, partition, fields.get("headers")),
                          value, key, partition))
        futures = []
        for checked, value, key, partition in items:
            future = FutureRecordMetadata(self, None)  # type: ignore[arg-type]
            future._batch = self._accumulate(self._route(checked, key, partition), value, key,
                                             future)
            futures.append(future)
        failure = self._flush_all()
        if failure is not None:
            raise failure
        return [future.get() for future in futures]

    def topics_sent_to(self) -> set[str]:
        return set(self._topics)

    def flush(self) -> None:
        """Send every batch waiting in the accumulator now (KafkaProducer.flush). A refused
        batch fails its futures; flush itself does not raise (Java's neither)."""
        self._flush_all()

    def close(self) -> None:
        """Send what waits, then stop; later sends raise IllegalStateException."""
        if not self.closed:
            self._flush_all()
            self.abort_on_close()
            self.closed = True
            self.kafka.remove_producer(self)

    # -- internals -----------------------------------------------------------------------------
    def _check(self, topic: str, value: Any, key: Any, partition: Any,
               headers: Any) -> _Checked:
        """Refuse a bad record before anything happens; its topic, headers and size."""
        if self.closed:
            raise IllegalStateException(
                f"Cannot perform operation after producer has been closed ({self.client_id})")
        found = self.kafka.topic(topic)
        if key is not None and not isinstance(key, str | bytes):
            raise SerializationException(
                f"key {key!r} is a {type(key).__name__}; keys are serialized as str or bytes")
        if key is None and found.compact:
            # LogValidator: "Compacted topic cannot accept message without key".
            raise InvalidRecordException(
                f"topic {topic!r} is compacted (cleanup.policy={found.config['cleanup.policy']})"
                " and cannot accept a record without a key; give a key")
        if self.transactional_id is not None:
            self.check_send()
        hdrs: tuple[tuple[str, Any], ...] = () if headers is None else _headers(headers)
        if too_deep(value) or any(too_deep(v) for _, v in hdrs):
            # engine/nesting.py: sizing or showing it (str) would recurse without bound.
            raise SerializationException(
                f"the record's value or a header nests containers more than {MAX_NESTING} "
                "levels deep; send bytes or text")
        size = _size(key) + _size(value)
        if hdrs:
            size += sum(len(name) + _size(v) for name, v in hdrs)
        count = len(found.partitions)
        if partition is not None and (not is_whole(partition, 0) or partition >= count):
            raise UnknownTopicOrPartitionException(
                f"Invalid partition given with record: {partition!r} is not in the range "
                f"[0...{count}) of topic {topic!r}")
        return _Checked(found, hdrs, size)

    def _route(self, checked: _Checked, key: Any, partition: int | None) -> _Route:
        """The partition a checked record goes to (BuiltInPartitioner's order of rules)."""
        found, hdrs, size = checked
        if partition is not None:
            return _Route(found.partitions[partition], hdrs, size, "explicit partition")
        if key is not None:
            index = hash_partition(key if isinstance(key, bytes) else key.encode("utf-8"),
                                   len(found.partitions))
            return _Route(found.partitions[index], hdrs, size, "key hash")
        return _Route(found.partitions[self._sticky_partition(found)], hdrs, size,
                      "sticky partitioner")

    def _sticky_partition(self, topic: Topic) -> int:
        sticky = self._sticky.get(topic.name)
        if sticky is None:
            sticky = self._sticky[topic.name] = StickyPartitioner(max(1, self.batch_size))
        return sticky.current(_available(topic), len(topic.partitions), self.kafka.sim.random)

    # -- the accumulator (linger.ms, batch.size) ----------------------------------------------
    def _accumulate(self, route: _Route, value: Any, key: Any,
                    future: FutureRecordMetadata) -> _Batch:
        """Add a routed record to its partition's open batch (a new one when it is full)."""
        target = route.target
        batch = self._open.get(target.tp)
        if batch is not None and (batch.target is not target or
                                  batch.size + route.size > self.batch_size):
            # the record does not fit, so the full batch goes out (or the batch waits for a
            # partition of a topic deleted since, and goes out to fail)
            self.send_now(batch)
            batch = None
        if batch is None:
            batch = self._open[target.tp] = _Batch(target)
            if self.linger_ms > 0:
                batch.timer = self.kafka.sim.call_later(self.linger_ms / 1000, self.send_now,
                                                        batch)
        batch.items.append((route, value, key, future))
        batch.size += route.size
        if route.how == "sticky partitioner":  # the partitioner counts what it accumulated
            self._sticky[target.topic.name].record_appended(
                route.size, _available(target.topic), len(target.topic.partitions),
                self.kafka.sim.random)
        return batch

    def _flush_all(self) -> KafkaException | None:
        """Send every open batch; the first batch's refusal, if any."""
        first = None
        for batch in list(self._open.values()):
            error = self.send_now(batch)
            first = first or error
        return first

    def drop_pending(self, error: KafkaException) -> None:
        """Fail every record still waiting in the accumulator (an aborted transaction)."""
        for batch in list(self._open.values()):
            del self._open[batch.target.tp]
            if batch.timer is not None:
                batch.timer.cancel()
            batch.sent = True
            self._fail(batch, error)

    def send_now(self, batch: _Batch) -> KafkaException | None:
        """The sender takes ``batch`` to the leader: accepted or refused whole."""
        target = batch.target
        if self._open.get(target.tp) is batch:
            del self._open[target.tp]
        if batch.timer is not None:
            batch.timer.cancel()
            batch.timer = None
        if batch.sent:
            return None
        batch.sent = True
        if self.acks == "0" and target.leader is None:
            for _, value, key, future in batch.items:
                if future is not None:
                    future.done(self._drop(target, value, key), None)
            return None
        try:
            if target.topic.deleted:
                raise UnknownTopicOrPartitionException(f"topic {target.topic.name!r} was "
                                                       "deleted while the batch waited")
            if self.transactional_id is not None:
                self.check_send()
            target.check_writable(self.acks)
            if not self.kafka.sim.fits(batch.size, len(batch.items)):
                raise KafkaStorageException(
                    f"partition {target.name} cannot store the batch of {len(batch.items)} "
                    f"record(s): {full(self.kafka.sim.limits)}")
        except KafkaException as error:
            self._fail(batch, error)
            return error
        metas = [self._send(route, value, key, single=False)
                 for route, value, key, _ in batch.items]
        if self.acks != "0" and self.kafka.take_lost_response():
            metas = self._retry_batch(batch, metas)
        for (_, _, _, future), meta in zip(batch.items, metas, strict=True):
            if future is not None:
                future.done(meta, None)
        return None

    def _fail(self, batch: _Batch, error: KafkaException) -> None:
        """Every record of a refused batch fails with the batch's error."""
        target, count = batch.target, len(batch.items)
        self.refused_in_transaction(error)
        for _, value, key, future in batch.items:
            record_id = self.kafka.sim.new_id(f"{target.name}@unsent-")
            self.kafka.emit(PRODUCED, record_id, self.node, topic_node(target.topic.name),
                            f"{self.client_id} sent in a batch of {count}",
                            {"value": preview(value), "key": preview(key)},
                            {"rule": "produce", "producer": self.client_id,
                             "topic": target.topic.name})
            self.kafka.emit(DROPPED, record_id, topic_node(target.topic.name), target.node,
                            f"the batch of {count} record(s) for {target.name} was refused "
                            f"({error.code}: {error}); every record in it fails together",
                            {"partition": target.index, "batch": count, "error": error.code},
                            {"rule": "batch-refused", "partition": target.name,
                             "error": error.code})
            if future is not None:
                future.done(None, error)

    def _retry_batch(self, batch: _Batch, metas: list[RecordMetadata]) -> list[RecordMetadata]:
        """The batch's response was lost: the producer sends the whole batch again."""
        target = batch.target
        if self.idempotent:
            last, _ = target.sequences[self.producer_id]
            first = last - len(batch.items) + 1
            self.kafka.emit(RETRIED, None, self.node, topic_node(target.topic.name),
                            f"response lost; retry of the batch of {len(batch.items)} "
                            f"record(s) (sequences {first}..{last}) recognised by the broker "
                            "as a duplicate, not written again",
                            {"partition": target.index, "duplicate": True,
                             "producer_id": self.producer_id, "sequence": first,
                             "batch": len(batch.items)})
            return metas
        result = []
        for route, value, key, _ in batch.items:
            offset = self._retry(route, value, key)
            result.append(RecordMetadata(target.topic.name, target.index, offset,
                                         timestamp_ms(self.kafka.sim)))
        return result

    def _send(self, route: _Route, value: Any, key: Any, single: bool = True) -> RecordMetadata:
        target, headers, size = route.target, route.headers, route.size
        if self.acks == "0" and target.leader is None:
            return self._drop(target, value, key)
        try:
            target.check_writable(self.acks)
            self._check_room(target, size)
        except KafkaException as error:
            self.refused_in_transaction(error)
            raise
        transactional = self.txn is not None
        record = target.append(key, value, headers, size, self.producer_id, transactional)
        if transactional:
            self.sent_in_transaction(target, record.offset)
        self.sent += 1
        if target.topic.name not in self._topics:
            self._topics.add(target.topic.name)
            self.kafka.emit(BOUND, None, self.node, topic_node(target.topic.name),
                            f"{self.client_id} sends to topic {target.topic.name}")
        if route.how == "sticky partitioner" and single:
            self._sticky[target.topic.name].record_appended(
                size, _available(target.topic), len(target.topic.partitions),
                self.kafka.sim.random)
        self._emit_sent(target, record, route.how)
        if self.acks == "all":
            target.replicate()  # the leader answers only once every in-sync replica has it
        offset = record.offset
        if self.idempotent:
            seq = self._sequence.get(target.tp, -1) + 1
            self._sequence[target.tp] = seq
            target.sequences[self.producer_id] = (seq, offset)
        if single and self.acks != "0" and self.kafka.take_lost_response():
            offset = self._retry(route, value, key)
        return RecordMetadata(target.topic.name, target.index, offset, record.timestamp)

    def _check_room(self, target: Partition, size: int) -> None:
        """The room's budget (engine/limits.py) is the broker's storage: a write that does not
        fit fails as a full log directory does, with a retriable KAFKA_STORAGE_ERROR."""
        if not self.kafka.sim.fits(size):
            raise KafkaStorageException(
                f"partition {target.name} cannot store the record: {full(self.kafka.sim.limits)}"
                "; a producer retries after retry.backoff.ms until consumers or retention free "
                "room")

    def _retry(self, route: _Route, value: Any, key: Any) -> int:
        """The response was lost: send again. The broker spots an idempotent duplicate."""
        target = route.target
        if self.idempotent:
            seq, original = target.sequences[self.producer_id]
            self.kafka.emit(RETRIED, None, self.node, topic_node(target.topic.name),
                            f"response lost; retry of sequence {seq} recognised by the broker "
                            f"as a duplicate of offset {original}, not written again",
                            {"partition": target.index, "duplicate": True, "offset": original,
                             "producer_id": self.producer_id, "sequence": seq})
            return original
        self.kafka.emit(RETRIED, None, self.node, topic_node(target.topic.name),
                        "response lost; retried without idempotence, so the broker writes it "
                        "again", {"partition": target.index, "duplicate": False})
        self._check_room(target, route.size)  # the first write stands; the retry fails
        record = target.append(key, value, route.headers, route.size, self.producer_id,
                               self.txn is not None)
        self._emit_sent(target, record, "retry")
        if self.acks == "all":
            target.replicate()
        return record.offset

    def _emit_sent(self, target: Partition, record: Record, how: str) -> None:
        kafka = self.kafka
        record_id, offset = record.id, record.offset
        topic = target.topic.name
        tnode = topic_node(topic)
        if not kafka.sim.listening:
            kafka.emit(PRODUCED, record_id, self.node, tnode, "", None)
            kafka.emit(APPENDED, record_id, tnode, target.node, "", None)
            return
        details = {"topic": topic, "partition": target.index, "offset": offset,
                   "key": preview(record.key), "value": preview(record.value),
                   "headers": {name: preview(v) for name, v in record.headers},
                   "acks": self.acks, "leader": target.leader}
        kafka.emit(PRODUCED, record_id, self.node, tnode,
                   f"{self.client_id} sent to {topic} (acks={self.acks})", details,
                   {"rule": PARTITION_RULES.get(how, "retry"), "key": details["key"],
                    "partition": target.index, "partitions": len(target.topic.partitions),
                    "producer": self.client_id})
        kafka.emit(APPENDED, record_id, tnode, target.node,
                   f"leader broker {target.leader} appended at offset {offset} of "
                   f"{target.name} ({how})", details,
                   {"rule": "append", "offset": offset, "partition": target.name,
                    "leader": target.leader})

    def _drop(self, target: Partition, value: Any, key: Any) -> RecordMetadata:
        record_id = self.kafka.sim.new_id(f"{target.name}@unsent-")
        self.kafka.emit(PRODUCED, record_id, self.node, topic_node(target.topic.name),
                        f"{self.client_id} sent with acks=0", {"value": preview(value),
                                                               "key": preview(key)},
                        {"rule": "produce", "producer": self.client_id,
                         "topic": target.topic.name})
        self.kafka.emit(DROPPED, record_id, topic_node(target.topic.name), target.node,
                        f"{target.name} has no leader; with acks=0 the producer never learns "
                        "the record was lost", {"partition": target.index},
                        {"rule": "no-leader", "partition": target.name})
        return RecordMetadata(target.topic.name, target.index, -1, timestamp_ms(self.kafka.sim))


def _available(topic: Topic) -> list[int]:
    return [p.index for p in topic.partitions if p.leader is not None]


def _size(value: Any) -> int:
    """Bytes a value takes in the log (payload only: Kafka adds ~70 bytes of overhead)."""
    if value is None:
        return 0
    if isinstance(value, bytes):
        return len(value)
    return len(str(value).encode("utf-8"))


def _headers(headers: Any) -> tuple[tuple[str, Any], ...]:
    pairs = headers.items() if isinstance(headers, Mapping) else headers
    try:
        result = tuple((name, value) for name, value in pairs)
    except (TypeError, ValueError):
        raise ConfigException("headers must be a mapping or a list of (name, value) pairs") \
            from None
    for name, _ in result:
        if not isinstance(name, str):
            raise ConfigException(f"header name {name!r} must be a str")
    return result
