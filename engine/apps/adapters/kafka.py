"""The apps on Kafka, through the Java-client-shaped API (``sim.kafka``).

* Consuming is a poll loop: ``poll(max_records)``, then the records are handed to the app one
  at a time as it has room (a Kafka consumer processes a partition in offset order). Auto-
  commit is off unless the scenario sets ``auto_commit``: at-least-once commits the positions
  once every record of the poll is done (``commitSync`` after processing); at-most-once
  commits right after the poll, before any work. With ``auto_commit`` (enable.auto.commit)
  the client commits the positions poll reached every auto.commit.interval.ms (5 s), done or
  not, so a crash can lose records (committed, not yet processed) and duplicate others
  (processed, not yet committed); KafkaConsumer javadoc, "Automatic Offset Committing". A
  crash commits nothing: the next owner of the partitions re-reads from the last commit,
  after the group coordinator notices (session timeout) and rebalances.
* Failures: Kafka has no per-message nack. ``requeue`` seeks back to the failed offset (a
  blocking retry: the partition waits behind the failing record, as a default error handler
  does). ``retry`` re-produces the record to ``<topic>-retry-<n>`` with a ``retry-at`` header
  and moves on; records from a retry topic are held until their time has come (Spring for
  Apache Kafka's non-blocking retries: "the retry topic consumer checks the timestamp and if
  it's not due it pauses the consumption for that topic's partition", reference guide,
  "Non-Blocking Retries"). One consumer reads the main and the retry topics here, so a held
  retry record also holds back the main topic; Spring runs one listener per retry topic.
  After the last attempt (or with ``dead-letter``) the record goes to ``<topic>-dlt``.
* A restarted app is a new consumer with a new client id (``<name>-2``): Kafka keeps the
  crashed one as a member until its session times out.
* Producing is ``send(topic, value, key, headers)``; keyed records go to the partition of
  murmur2(key), so one key's records stay in order in one partition. A retriable refusal
  (``KafkaStorageException``: the room's budget is full) is retried as the Java producer
  does: the record waits in the producer's buffer, later records queue behind it in order,
  and it is sent again after retry.backoff.ms (100 ms), doubling up to retry.backoff.max.ms
  (1 s, KIP-580), until delivery.timeout.ms (120 s) fails it with a TimeoutException
  (producer configs, https://kafka.apache.org/documentation/#producerconfigs). The buffer
  is bounded like ``buffer.memory``: past the room's cap on held publishes a send fails at
  once with ``BufferExhaustedException``.
"""

from __future__ import annotations

import math
from collections import deque
from typing import TYPE_CHECKING, Any

from engine.errors import EngineError
from engine.kafka.errors import KafkaStorageException
from engine.limits import over
from engine.topology import node_id

from .. import kinds
from ..retry_names import dead_letter_topic, retry_topic
from .base import (
    Delivery,
    Outgoing,
    header_int,
    report_receive_failure,
    report_refusal,
)
from .kafka_txn import ProducerTransactions, TransactionalOutput, send_losing_response

if TYPE_CHECKING:
    from engine.kafka.consumer import Consumer as KafkaConsumer
    from engine.kafka.log import Record
    from engine.simulation import Simulation

    from ..consumer import Consumer

BROKER = "kafka"
RETRY_AT = "retry-at"
#: ProducerConfig defaults, in seconds: retry.backoff.ms, retry.backoff.max.ms (KIP-580),
#: delivery.timeout.ms
RETRY_BACKOFF, RETRY_BACKOFF_MAX, DELIVERY_TIMEOUT = 0.1, 1.0, 120.0


def queue_depth(sim: Simulation, name: str) -> int:
    """Records retained in topic ``name`` (log end - log start, over its partitions)."""
    topic = sim.kafka.topics.get(name)
    if topic is None:
        return 0
    return sum(p.log.log_end - p.log.log_start for p in topic.partitions)


def group_lag(sim: Simulation, group: str, topics: list[str]) -> int:
    """Records of ``topics`` the group has not committed yet: per partition, the high
    watermark minus the committed offset (the log start when nothing is committed)."""
    committed = sim.kafka.groups[group].committed if group in sim.kafka.groups else {}
    lag = 0
    for name in topics:
        topic = sim.kafka.topics.get(name)
        for partition in topic.partitions if topic is not None else ():
            offset = committed.get(partition.tp, partition.log.log_start)
            lag += max(0, partition.high_watermark - offset)
    return lag


def _text(value: Any) -> str:
    if value is None:
        return ""
    return value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value)


def _seconds(text: str) -> float:
    """A retry-at header: a time, or 0 (due now) when a user wrote something else there."""
    try:
        value = float(text)
    except ValueError:
        return 0.0
    return value if math.isfinite(value) else 0.0


def _ensure_topic(sim: Simulation, name: str, like: str) -> None:
    """Create a retry or dead-letter topic shaped like ``like``; while ``like`` itself does
    not exist (deleted, or not created yet) there is nothing to copy, and a subscriber to a
    missing topic just gets no records (KafkaConsumer waits for its metadata)."""
    source = sim.kafka.topics.get(like)
    if name not in sim.kafka.topics and source is not None:
        sim.kafka.create_topic(name, num_partitions=len(source.partitions))


class KafkaConsumerAdapter:
    broker = BROKER

    def __init__(self, sim: Simulation, name: str, topic: str, group: str, *,
                 auto_offset_reset: str = "latest", assignment: str = "range",
                 max_records: int = 10, poll_interval: float = 0.5, retry_levels: int = 0,
                 dead_letter: bool = False, isolation_level: str = "read_uncommitted",
                 auto_commit: bool = False, output: dict[str, str] | None = None) -> None:
        self.sim = sim
        self.name = name
        self.topic = topic
        self.group = group
        self.auto_offset_reset = auto_offset_reset
        self.assignment = assignment
        self.isolation_level = isolation_level
        self.auto_commit = auto_commit
        self.max_records = max_records
        self.poll_interval = poll_interval
        self.retry_levels = retry_levels
        self.dead_letter_on = dead_letter
        self.client_id = name
        self.app: Consumer | None = None
        self.consumer: KafkaConsumer | None = None
        self.early_ack = False
        self._life = 0
        self._incarnation = 0
        #: records polled and not yet handed to the app, and handed but not finished
        self._polled: deque[Record] = deque()
        self._in_hand = 0
        self._polling = False
        self._held = False
        self._producer: Any = None
        #: read-process-write: the output topic, written in a transaction (kafka_txn.py)
        self.output = TransactionalOutput(sim, output["topic"], output["transactional_id"]) \
            if output else None

    @property
    def node(self) -> str:
        return node_id(BROKER, "consumer", self.client_id)

    # -- lifecycle ---------------------------------------------------------------------------
    def open(self, app: Consumer, early_ack: bool) -> None:
        self.app = app
        self.early_ack = early_ack
        self._life += 1
        self._incarnation += 1
        self.client_id = self.name if self._incarnation == 1 else \
            f"{self.name}-{self._incarnation}"
        topics = [self.topic, *(retry_topic(self.topic, n)
                                for n in range(1, self.retry_levels + 1))]
        for name in topics[1:]:
            _ensure_topic(self.sim, name, self.topic)
        if self.dead_letter_on:
            _ensure_topic(self.sim, dead_letter_topic(self.topic), self.topic)
        self.consumer = self.sim.kafka.consumer(
            group_id=self.group, client_id=self.client_id,
            auto_offset_reset=self.auto_offset_reset, enable_auto_commit=self.auto_commit,
            partition_assignment_strategy=self.assignment, isolation_level=self.isolation_level)
        self.consumer.subscribe(topics)
        if self.output is not None:
            self.output.start(self.client_id)
        self._polled.clear()
        self._in_hand = 0
        self._polling = self._held = False
        self.want_more()

    def held(self) -> list[Delivery]:
        """Records polled but not handed to the app yet (lost with it at-most-once)."""
        return [self._delivery(record) for record in self._polled]

    def committed(self, deliveries: list[Delivery]) -> list[Delivery]:
        """Those of ``deliveries`` whose offsets the group has committed already (by
        auto-commit): nobody will read them again."""
        group = self.sim.kafka.groups.get(self.group)
        if group is None or not self.auto_commit:
            return []
        return [d for d in deliveries
                if (record := d.handle[1]).offset
                < group.committed.get((record.topic, record.partition), 0)]

    def crash(self) -> None:
        self._life += 1
        if self.consumer is not None and self.consumer.alive:
            self.consumer.crash()
        self.consumer = None
        if self.output is not None:
            self.output.crash()

    def close(self) -> None:
        self._life += 1
        if self.consumer is not None and self.consumer.alive:
            self.consumer.close()
        self.consumer = None
        if self.output is not None:
            self.output.close()

    def replay(self) -> None:
        """Seek every assigned partition back to the beginning (a replay)."""
        if self.consumer is not None:
            self._polled.clear()
            self.consumer.seek_to_beginning()

    # -- the poll loop -----------------------------------------------------------------------
    def want_more(self) -> None:
        if self.consumer is None or self._held:
            return
        if self._polled:
            self._hand_over()
        elif self._in_hand == 0 and not self._polling:
            self._polling = True
            self.sim.call_soon(self._poll, self._life)

    def _poll(self, life: int) -> None:
        if life != self._life or self.consumer is None:
            return
        self._polling = False
        try:
            records = self.consumer.poll(max_records=self.max_records)
        except EngineError as error:
            self._poll_failed(life, error)
            return
        if not records:
            self._polling = True
            self.sim.call_later(self.poll_interval, self._poll, life)
            return
        if self.early_ack:
            self._commit()
        self._polled.extend(records)
        self._hand_over()

    def _poll_failed(self, life: int, error: EngineError) -> None:
        """poll() raised, as kafka-python would (e.g. IllegalStateException: the consumer was
        closed under the app): report it; a live consumer polls again later, a closed one
        ends the loop until the app is restarted."""
        alive = self.consumer is not None and self.consumer.alive
        report_receive_failure(self.sim, BROKER, self.node, self.name, error,
                               self.poll_interval if alive else None)
        if alive:
            self._polling = True
            self.sim.call_later(self.poll_interval, self._poll, life)
        else:
            self.consumer = None

    def _hand_over(self) -> None:
        record = self._polled[0]
        due = self._due(record)
        if due > self.sim.now:
            # A retry record whose backoff has not passed: wait for it.
            self._held = True
            self.sim.call_at(due, self._release, self._life)
            return
        self._polled.popleft()
        if not self.early_ack:  # at-most-once committed at the poll: nothing left to settle
            self._in_hand += 1
        assert self.app is not None
        self.app.receive(self._delivery(record))

    def _release(self, life: int) -> None:
        if life == self._life:
            self._held = False
            if self.app is not None and self.app.running:
                self.want_more()

    @staticmethod
    def _due(record: Record) -> float:
        for name, value in record.headers:
            if name == RETRY_AT:
                return _seconds(_text(value))
        return 0.0

    def _delivery(self, record: Record) -> Delivery:
        headers = {name: _text(value) for name, value in record.headers}
        key = _text(record.key) if record.key is not None else None
        seq = headers.get(kinds.SEQ_HEADER)
        return Delivery(headers.get(kinds.KEY_HEADER, record.id), _text(record.value),
                        header_int(headers.get(kinds.ATTEMPT_HEADER), 1) or 1, record.topic,
                        handle=(self._life, record), ordering_key=key,
                        seq=header_int(seq, None), headers=headers)

    # -- settling ----------------------------------------------------------------------------
    def _finished(self, delivery: Delivery) -> None:
        life, _ = delivery.handle
        if life != self._life:
            return
        self._in_hand -= 1
        if self._in_hand == 0 and not self._polled and not self.early_ack \
                and not self.auto_commit and self.output is None:
            self._commit()

    def _commit(self) -> None:
        if self.consumer is None:
            return
        try:
            self.consumer.commit()
        except EngineError as error:
            # e.g. CommitFailedException after a rebalance took the partitions away
            report_refusal(self.sim, BROKER, self.node, self.name, "commit", error)

    def ack(self, delivery: Delivery) -> None:
        if self.output is not None and delivery.handle[0] == self._life:
            try:
                self.output.commit(delivery.handle[1], self.group)
            except EngineError as error:
                report_refusal(self.sim, BROKER, self.node, self.name, "commit_transaction",
                               error)
                self.output.abort()
        self._finished(delivery)

    def on_effect(self, delivery: Delivery) -> None:
        """Read-process-write: the work's output record goes into the open transaction."""
        if self.output is None or delivery.handle[0] != self._life:
            return
        headers = [(kinds.KEY_HEADER, delivery.key)]
        try:
            self.output.write(delivery.handle[1], headers)
        except EngineError as error:
            report_refusal(self.sim, BROKER, self.node, self.name, "send", error)

    def requeue(self, delivery: Delivery) -> None:
        _, record = delivery.handle
        if self.consumer is not None and delivery.handle[0] == self._life:
            # Drop what was polled after it from the same partition and read again from it.
            self._polled = deque(r for r in self._polled
                                 if (r.topic, r.partition) != (record.topic, record.partition))
            try:
                self.consumer.seek((record.topic, record.partition), record.offset)
            except EngineError as error:  # the partition went (topic deleted, rebalance)
                report_refusal(self.sim, BROKER, self.node, self.name, "seek", error)
        self._finished(delivery)

    def retry(self, delivery: Delivery, delay: float) -> None:
        level = min(delivery.attempt, self.retry_levels)
        self._republish(delivery, retry_topic(self.topic, level),
                        {kinds.ATTEMPT_HEADER: str(delivery.attempt + 1),
                         RETRY_AT: repr(self.sim.now + delay)})
        self._finished(delivery)

    def dead_letter(self, delivery: Delivery) -> None:
        self._republish(delivery, dead_letter_topic(self.topic), {})
        self._finished(delivery)

    def _republish(self, delivery: Delivery, topic: str, extra: dict[str, str]) -> None:
        if self._producer is None:
            self._producer = self.sim.kafka.producer(client_id=f"{self.name}-retries")
        headers = {**delivery.headers, **extra}
        _, record = delivery.handle
        try:
            self._producer.send(topic, value=delivery.body, key=record.key,
                                headers=list(headers.items()))
        except EngineError as error:
            # e.g. NotEnoughReplicasException: the record is neither retried nor parked.
            report_refusal(self.sim, BROKER, self.node, self.name, "send", error)

    def depth(self, name: str) -> int:
        return queue_depth(self.sim, name)


class KafkaProducerAdapter:
    broker = BROKER

    def __init__(self, sim: Simulation, name: str, topic: str, *,
                 acks: str | int = "all", enable_idempotence: bool = True,
                 transactional_id: str | None = None, transaction_size: int = 1,
                 abort_every: int | None = None) -> None:
        self.sim = sim
        self.name = name
        self.topic = topic
        #: the producer's acks: "all" (the default since Kafka 3.0, KIP-679), 1 or 0
        self.acks = acks
        self.enable_idempotence = enable_idempotence
        self.transactional_id = transactional_id
        #: how a transactional producer groups its sends (kafka_txn.py)
        self.transactions = ProducerTransactions(transaction_size, abort_every) \
            if transactional_id is not None else None
        #: the next send's produce response is lost (a timeline action)
        self.lose_next_response = False
        self._producer: Any = None
        #: records waiting to be retried, oldest first, each with its delivery deadline
        self._backlog: deque[tuple[Outgoing, float]] = deque()
        self._timer: Any = None
        self._backoff = RETRY_BACKOFF

    @property
    def producer(self) -> Any:
        if self._producer is None:
            self._producer = self.sim.kafka.producer(
                client_id=self.name, acks=self.acks,
                enable_idempotence=self.enable_idempotence,
                transactional_id=self.transactional_id)
        return self._producer

    @property
    def node(self) -> str:
        return node_id(BROKER, "producer", self.name)

    def publish(self, messages: list[Outgoing]) -> list[str | None]:
        return [self._send(message) for message in messages]

    def _send(self, message: Outgoing) -> str | None:
        if self.transactions is not None:
            return self._send_in_transaction(message)
        if self._backlog:  # records stay in order behind the one being retried
            return self._buffer(message)
        try:
            self._produce(message)
        except KafkaStorageException:
            return self._buffer(message)
        except EngineError as error:
            return f"[{error.code}] {error}"
        return None

    def _send_in_transaction(self, message: Outgoing) -> str | None:
        """No retry buffer here: a refused send leaves a transaction only abortable, so the
        app aborts it and reports the record refused."""
        assert self.transactions is not None
        try:
            self.transactions.before_send(self.producer)
            self._produce(message)
            self.transactions.after_send(self.producer)
        except EngineError as error:
            self.transactions.failed(self.producer)
            return f"[{error.code}] {error}"
        return None

    def abort_transaction(self) -> None:
        """Abort the open transaction now (a timeline action); nothing open: nothing to do."""
        if self.transactions is not None and self._producer is not None:
            self.transactions.end(self._producer, abort=True)

    def end_transaction(self) -> None:
        """Commit a transaction still open when the producer stops (as ``close()`` would not:
        Kafka's close aborts it, so an app commits before closing)."""
        if self.transactions is not None and self._producer is not None:
            try:
                self.transactions.end(self._producer)
            except EngineError:
                self.transactions.failed(self._producer)

    def _produce(self, message: Outgoing) -> None:
        headers = [(kinds.KEY_HEADER, message.key)]
        if message.seq is not None:
            headers.append((kinds.SEQ_HEADER, str(message.seq)))

        def send() -> Any:
            return self.producer.send(self.topic, value=message.body,
                                      key=message.ordering_key,
                                      partition=message.options.get("partition"),
                                      headers=headers)
        if self.lose_next_response:
            self.lose_next_response = False
            send_losing_response(self.sim, send)
        else:
            send()

    def _buffer(self, message: Outgoing) -> str | None:
        """Keep a record to retry; a full buffer fails the send at once (buffer.memory)."""
        cap = self.sim.limits.max_held_publishes
        if len(self._backlog) >= cap:
            return (f"[BufferExhaustedException] {self.name}'s buffer holds {cap} records the "
                    f"broker could not store yet: {over('records waiting to be retried', cap)}")
        self._backlog.append((message, self.sim.now + DELIVERY_TIMEOUT))
        if self._timer is None:
            self._schedule_retry()
        return None

    def _schedule_retry(self) -> None:
        self._emit(kinds.PRODUCER_THROTTLED, f"KafkaStorageException: {self.name} holds "
                   f"{len(self._backlog)} record(s) and retries in {self._backoff:g} s",
                   {"waiting": len(self._backlog), "backoff": self._backoff})
        self._timer = self.sim.call_later(self._backoff, self._retry)

    def _retry(self) -> None:
        """Send the waiting records in order; back off again at the first storage error."""
        self._timer = None
        while self._backlog:
            message, deadline = self._backlog[0]
            try:
                if self.sim.now >= deadline:
                    raise TimeoutError("delivery.timeout.ms (120 s) ran out")
                self._produce(message)
            except KafkaStorageException:
                self._backoff = min(self._backoff * 2, RETRY_BACKOFF_MAX)
                self._schedule_retry()
                return
            except (EngineError, TimeoutError) as error:
                code = getattr(error, "code", "TimeoutException")
                self._emit(kinds.PUBLISH_REJECTED, f"{message.key}: [{code}] {error}",
                           {"key": message.key})
            self._backlog.popleft()
        self._backoff = RETRY_BACKOFF

    def _emit(self, kind: str, reason: str, details: dict[str, Any]) -> None:
        self.sim.emit(kind, BROKER, source=self.node, reason=reason,
                      details={"producer": self.name, **details})

    def depth(self, name: str) -> int:
        return queue_depth(self.sim, name)
