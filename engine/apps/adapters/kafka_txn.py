"""Kafka's exactly-once tools for the simulated apps: transactions and lost acknowledgements.

* ``ProducerTransactions``: a producer app with a ``transactional_id`` calls
  ``init_transactions()`` before its first send, then groups its records into transactions of
  ``size`` records: ``begin_transaction()``, ``send(...)`` each, ``commit_transaction()``. Every
  ``abort_every``-th transaction ends with ``abort_transaction()`` instead, and a timeline
  action can abort the open one. Its records are in the log either way; a consumer with
  ``isolation_level="read_committed"`` reads only committed ones and never past the last
  stable offset (an open transaction holds it back), while ``"read_uncommitted"`` (Kafka's
  default) reads aborted records too (KIP-98, "Transactional Guarantees", "Last stable
  offset"; kafka-python KafkaProducer / KafkaConsumer docs).
* ``TransactionalOutput``: read-process-write. A consumer app that writes its output to
  another topic does so inside a transaction begun at the side effect, and at the end of the
  work adds the input record's next offset with ``send_offsets_to_transaction(offsets,
  group_id)`` before ``commit_transaction()``: the output and the input's progress commit
  together or not at all. A crash leaves the transaction open; the restarted app's
  ``init_transactions()`` with the same transactional id fences the old producer and aborts
  it (KIP-98, "Fencing"), and the group re-reads the input from its committed offset.
* ``send_losing_response``: the next send's produce response is lost on the way back (the
  record was written): the producer retries; the broker recognises an idempotent producer's
  retry by producer id and sequence number and does not write it again, while a producer
  with ``enable_idempotence=False`` writes a duplicate (KIP-98, "Idempotent producer";
  ProducerConfig "enable.idempotence", default true since Kafka 3.0).
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import suppress
from typing import TYPE_CHECKING, Any

from engine.errors import EngineError

if TYPE_CHECKING:
    from engine.kafka.log import Record
    from engine.kafka.producer import Producer
    from engine.simulation import Simulation


def send_losing_response(sim: Simulation, send: Callable[[], Any]) -> Any:
    """Run ``send`` with its produce response lost; the loss never outlives the call (a send
    refused before the broker answered leaves nothing for another producer to lose)."""
    kafka = sim.kafka
    before = kafka.lost_responses_pending
    kafka.lose_produce_responses(1)
    try:
        return send()
    finally:
        if kafka.lost_responses_pending > before:
            kafka.take_lost_response()


class ProducerTransactions:
    """Groups a producer app's sends into transactions of ``size`` records."""

    def __init__(self, size: int = 1, abort_every: int | None = None) -> None:
        self.size = size
        self.abort_every = abort_every
        #: transactions begun so far, and records sent in the open one
        self.begun = 0
        self.in_open = 0
        self.open = False

    def before_send(self, producer: Producer) -> None:
        if producer.txn is None:
            producer.init_transactions()
        if not self.open:
            producer.begin_transaction()
            self.open = True
            self.begun += 1
            self.in_open = 0

    def after_send(self, producer: Producer) -> None:
        self.in_open += 1
        if self.in_open >= self.size:
            self.end(producer)

    def end(self, producer: Producer, abort: bool | None = None) -> None:
        """Commit the open transaction, or abort it (the ``abort_every``-th, or when told)."""
        if not self.open:
            return
        if abort is None:
            abort = self.abort_every is not None and self.begun % self.abort_every == 0
        self.open = False
        if abort:
            producer.abort_transaction()
        else:
            producer.commit_transaction()

    def failed(self, producer: Producer) -> None:
        """A send or commit was refused: abort what is open (if the producer still may)."""
        if self.open:
            self.open = False
            # fenced or closed: the coordinator aborts it on its own
            with suppress(EngineError):
                producer.abort_transaction()


class TransactionalOutput:
    """A consumer app's output topic, written in a transaction with its input offsets."""

    def __init__(self, sim: Simulation, topic: str, transactional_id: str) -> None:
        self.sim = sim
        self.topic = topic
        self.transactional_id = transactional_id
        self.producer: Producer | None = None
        self.open = False

    def start(self, client_id: str) -> None:
        """A new producer for this app instance; its ``init_transactions`` fences the last
        instance's producer and aborts the transaction it left open."""
        self.producer = self.sim.kafka.producer(client_id=f"{client_id}-txn",
                                                transactional_id=self.transactional_id)
        self.open = False
        self.producer.init_transactions()

    def write(self, record: Record, headers: list[tuple[str, Any]]) -> None:
        """The side effect: the output record, inside the open transaction."""
        assert self.producer is not None
        if not self.open:
            self.producer.begin_transaction()
            self.open = True
        self.producer.send(self.topic, value=record.value, key=record.key, headers=headers)

    def commit(self, record: Record, group: str) -> None:
        """The input record's next offset joins the transaction, which commits."""
        assert self.producer is not None
        if not self.open:
            self.producer.begin_transaction()
        self.open = False
        self.producer.send_offsets_to_transaction(
            {(record.topic, record.partition): record.offset + 1}, group)
        self.producer.commit_transaction()

    def abort(self) -> None:
        if self.producer is not None and self.open:
            self.open = False
            with suppress(EngineError):  # fenced: the newer instance already aborted it
                self.producer.abort_transaction()

    def crash(self) -> None:
        """The process dies with its transaction open: the broker keeps it open until the
        next instance calls init_transactions (or transaction.timeout.ms passes)."""
        self.producer = None
        self.open = False

    def close(self) -> None:
        if self.producer is not None:
            self.producer.close()  # aborts an open transaction
        self.producer = None
        self.open = False
