"""A Lambda-style SQS consumer: batches, one invocation per batch, partial batch failures.

Most SQS systems are consumed by AWS Lambda through an event source mapping: Lambda long-polls
the queue, hands the function a *batch* of records, and deletes the batch when the function
returns. What a learner watches here is what one failing record does to the others.

Rules and sources (AWS Lambda Developer Guide, "Using Lambda with Amazon SQS", its pages
"Configuring an Amazon SQS event source mapping", "Handling errors for an SQS event source
in Lambda" and "Reporting batch item failures for Lambda functions with an Amazon SQS
trigger"):

- ``BatchSize`` records per invocation; ``MaximumBatchingWindowInSeconds`` (0 to 300) is how
  long Lambda keeps gathering records before it invokes: it invokes when the batch is full or
  the window ends (with a window of 0, as soon as a poll returns records). Here BatchSize is 1
  to 10, the FIFO range and what one ReceiveMessage returns (standard queues allow up to
  10,000 with a window; not modelled).
- Lambda deletes the records only when the invocation succeeds. If the function fails (here:
  it raises at the first failing record, so the records after it are not processed), the
  *whole batch* stays in the queue and becomes visible again after the queue's visibility
  timeout, records that were processed fine included: their side effects happen again.
- With ``FunctionResponseTypes: ["ReportBatchItemFailures"]`` the function returns
  ``{"batchItemFailures": [{"itemIdentifier": <messageId>}, ...]}`` and Lambda deletes the
  others; only the failed records come back after the visibility timeout (here the function
  goes on past a failing record and reports each one). On a FIFO queue the
  function stops at the first failure and reports it with every record after it, so a group's
  order holds (as Powertools for AWS Lambda's ``SqsFifoPartialProcessor`` does: "Stops
  processing records when the first record fails. The remaining records are reported as
  failed items").
- Each return raises ``ApproximateReceiveCount``; the queue's redrive policy moves a record to
  its dead-letter queue after ``maxReceiveCount`` receives (SQS's own rule).

The function's body is simulated: each record takes ``processing`` seconds, in order, and
fails by ``failures`` (a poison body, or a probability drawn from ``sim.random``); a record
that succeeds performs its side effect in the ``ledger`` at its end, unless a processed-ids
``store`` says its key was done already (effectively once). ``concurrency`` caps the
invocations running at once (the event source mapping's MaximumConcurrency; 1 by default).
A crash (the execution environment dies) stops everything: its records stay in flight until
their visibility timeout.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from engine.errors import EngineError, InvalidArgument
from engine.topology import node_id

from . import kinds
from .adapters.base import report_receive_failure
from .adapters.sqs import queue_url
from .failures import FailureRule
from .idempotency import ProcessedIds
from .ledger import Ledger

if TYPE_CHECKING:
    from engine.clock import Timer
    from engine.simulation import Simulation

    from .durations import Duration

BROKER = "sqs"
MAX_BATCH = 10
MAX_WINDOW = 300
LONG_POLL = 20
RETRY_EVERY = 5.0


@dataclass
class Invocation:
    number: int
    records: list[dict[str, Any]]
    failed: list[str] = field(default_factory=list)
    done: list[str] = field(default_factory=list)
    timer: Timer | None = None


class LambdaConsumer:
    broker = BROKER
    #: a batch consumer never checks per-key order (a scenario's summary asks)
    out_of_order = 0

    def __init__(self, sim: Simulation, name: str, queue: str, *, processing: Duration,
                 batch_size: int = 10, batching_window: float = 0,
                 report_batch_item_failures: bool = False,
                 failures: FailureRule | None = None, ledger: Ledger | None = None,
                 concurrency: int = 1, store: ProcessedIds | None = None) -> None:
        if isinstance(batch_size, bool) or not isinstance(batch_size, int) or \
                not 1 <= batch_size <= MAX_BATCH:
            raise InvalidArgument(f"BatchSize {batch_size!r}: give 1 to {MAX_BATCH}",
                                  code="InvalidParameterValueException")
        if isinstance(batching_window, bool) or not isinstance(batching_window, int | float) \
                or not 0 <= batching_window <= MAX_WINDOW:
            raise InvalidArgument(f"MaximumBatchingWindowInSeconds {batching_window!r}: give "
                                  f"0 to {MAX_WINDOW}", code="InvalidParameterValueException")
        if isinstance(concurrency, bool) or not isinstance(concurrency, int) or \
                not 1 <= concurrency <= 1000:
            raise InvalidArgument(f"concurrency {concurrency!r}: give 1 to 1000")
        self.sim = sim
        self.name = name
        self.queue = queue
        self.processing = processing
        self.batch_size = batch_size
        self.window = float(batching_window)
        self.report = report_batch_item_failures
        self.failures = failures or FailureRule()
        self.ledger = ledger or Ledger(name)
        self.concurrency = concurrency
        #: with a processed-ids store the function skips a record whose key it has done
        #: (effectively once); without one a returned record's side effect happens again
        self.store = store
        self.guarantee = "at-least-once" if store is None else "effectively-once"
        self.node = node_id(BROKER, "consumer", name)
        self.running = False
        self.invocations = 0
        self.failed_invocations = 0
        #: records received, and records whose processing failed (as ``Consumer`` counts)
        self.received = 0
        self.failed = 0
        self._pending: list[dict[str, Any]] = []
        self._window_timer: Timer | None = None
        self._window_over = False
        self._busy: list[Invocation] = []
        self._polling = False
        self._life = 0
        sim.census.admit_consumer(self, name)

    # -- lifecycle ---------------------------------------------------------------------------
    def start(self) -> None:
        if self.running:
            return
        self.running = True
        self._life += 1
        self._poll()

    def crash(self) -> None:
        """The execution environment dies: work in hand stops, records stay in flight."""
        if not self.running:
            return
        self.running = False
        self._life += 1
        self._polling = False
        in_hand = [r["messageId"] for r in self._pending] + [
            r["messageId"] for inv in self._busy for r in inv.records]
        for invocation in self._busy:
            if invocation.timer is not None:
                invocation.timer.cancel()
        if self._window_timer is not None:
            self._window_timer.cancel()
        self._busy.clear()
        self._pending.clear()
        self._window_timer = None
        self._emit(kinds.CONSUMER_CRASHED, f"{self.name} crashed with {len(in_hand)} record(s)"
                   " in hand: they return after the visibility timeout", {"in_hand": in_hand})

    stop = crash

    def retire(self) -> None:
        self.crash()
        self.sim.census.leave(self)

    def restart(self) -> None:
        if not self.running:
            self._emit(kinds.CONSUMER_RESTARTED, f"{self.name} restarted")
            self.start()

    # -- polling and batching ----------------------------------------------------------------
    def _poll(self) -> None:
        if not self.running or self._polling or len(self._pending) >= self.batch_size:
            return
        self._polling = True
        life = self._life
        try:
            self.sim.sqs.receive_message_async(
                lambda response: self._answered(life, response),
                queue_url(self.sim, self.queue),
                MaxNumberOfMessages=self.batch_size - len(self._pending),
                WaitTimeSeconds=LONG_POLL, AttributeNames=["All"],
                MessageAttributeNames=["All"], consumer=self.name)
        except EngineError as error:
            report_receive_failure(self.sim, BROKER, self.node, self.name, error, RETRY_EVERY)
            self.sim.call_later(RETRY_EVERY, self._retry, life)

    def _retry(self, life: int) -> None:
        if life == self._life:
            self._polling = False
            self._poll()

    def _answered(self, life: int, response: dict[str, Any]) -> None:
        if life != self._life:
            return
        self._polling = False
        messages = response.get("Messages", [])
        self.received += len(messages)
        for message in messages:
            self._pending.append(_record(message, self.queue))
        if messages and self.window and self._window_timer is None and not self._window_over:
            self._window_timer = self.sim.call_later(self.window, self._window_ended, life)
        self._invoke_if_ready()
        self._poll()

    def _window_ended(self, life: int) -> None:
        if life != self._life:
            return
        self._window_timer = None
        self._window_over = True
        self._invoke_if_ready()
        self._poll()

    def _invoke_if_ready(self) -> None:
        while self._pending and len(self._busy) < self.concurrency and (
                len(self._pending) >= self.batch_size or not self.window or self._window_over):
            batch = self._pending[:self.batch_size]
            del self._pending[:self.batch_size]
            if self._window_timer is not None:
                self._window_timer.cancel()
                self._window_timer = None
            self._window_over = False
            self._invoke(batch)
        if self._pending and self.window and self._window_timer is None \
                and not self._window_over:
            self._window_timer = self.sim.call_later(self.window, self._window_ended,
                                                     self._life)

    # -- the function ------------------------------------------------------------------------
    def _invoke(self, records: list[dict[str, Any]]) -> None:
        self.invocations += 1
        invocation = Invocation(self.invocations, records)
        self._busy.append(invocation)
        self._emit(kinds.BATCH_INVOKED, f"{self.name} invoked with a batch of {len(records)}"
                   f" record(s) (invocation {invocation.number})",
                   {"invocation": invocation.number,
                    "records": [r["messageId"] for r in records]})
        self._next_record(invocation)

    def _next_record(self, invocation: Invocation) -> None:
        index = len(invocation.done) + len(invocation.failed)
        if index >= len(invocation.records):
            self._returned(invocation)
            return
        took = self.processing(self.sim.random)
        invocation.timer = self.sim.call_later(took, self._record_done, invocation, index)

    def _record_done(self, invocation: Invocation, index: int) -> None:
        invocation.timer = None
        record = invocation.records[index]
        reason = self.failures.reason(record["body"], self.sim.random)
        about = self._about(record)
        if reason is None:
            invocation.done.append(record["messageId"])
            key = about["key"]
            if self.store is not None and not self.store.first_time(key):
                self._emit(kinds.DUPLICATE_SKIPPED, f"{key} already processed: the "
                           "idempotency store says skip the side effect", about)
            elif self.ledger.perform(key):
                self._emit(kinds.DUPLICATE_SIDE_EFFECT, f"{self.ledger.label}: {key} again",
                           about)
            else:
                self._emit(kinds.SIDE_EFFECT, f"{self.ledger.label}: {key}", about)
        else:
            invocation.failed.append(record["messageId"])
            self.failed += 1
            self._emit(kinds.PROCESSING_FAILED, f"{record['messageId']} attempt "
                       f"{about['attempt']}: {reason}", about)
            if not self.report or self.queue.endswith(".fifo"):
                # Without ReportBatchItemFailures the function raises here and the invocation
                # ends; on a FIFO queue it stops and reports this record and all after it.
                rest = invocation.records[index + 1:]
                invocation.failed.extend(r["messageId"] for r in rest)
                self._returned(invocation)
                return
        self._next_record(invocation)

    def _returned(self, invocation: Invocation) -> None:
        self._busy.remove(invocation)
        records = invocation.records
        if not invocation.failed:
            self._delete(records)
            self._emit(kinds.BATCH_SUCCEEDED, f"invocation {invocation.number} succeeded: "
                       f"the {len(records)} record(s) are deleted",
                       {"invocation": invocation.number})
        elif self.report:
            failed = set(invocation.failed)
            self._delete([r for r in records if r["messageId"] not in failed])
            self._emit(kinds.BATCH_ITEM_FAILURES, f"invocation {invocation.number} reported "
                       f"{len(failed)} batchItemFailures: the {len(records) - len(failed)} "
                       "other record(s) are deleted; the failed ones return after the "
                       "visibility timeout",
                       {"invocation": invocation.number,
                        "batchItemFailures": [{"itemIdentifier": i} for i in invocation.failed]})
        else:
            self.failed_invocations += 1
            self._emit(kinds.BATCH_FAILED, f"invocation {invocation.number} failed: all "
                       f"{len(records)} record(s) return after the visibility timeout, the "
                       f"{len(invocation.done)} processed fine included (no "
                       "ReportBatchItemFailures)",
                       {"invocation": invocation.number,
                        "records": [r["messageId"] for r in records]})
        self._invoke_if_ready()
        self._poll()

    def _delete(self, records: list[dict[str, Any]]) -> None:
        if not records:
            return
        entries = [{"Id": str(i), "ReceiptHandle": r["receiptHandle"]}
                   for i, r in enumerate(records)]
        try:
            answer = self.sim.sqs.delete_message_batch(QueueUrl=queue_url(self.sim, self.queue),
                                                       Entries=entries)
        except EngineError as error:
            self._emit(kinds.SETTLE_FAILED, f"delete_message_batch failed: [{error.code}] "
                       f"{error}", {"code": error.code})
            return
        for failed in answer.get("Failed", []):
            self._emit(kinds.SETTLE_FAILED, f"delete of record {failed['Id']} failed: "
                       f"[{failed['Code']}] {failed.get('Message', '')}",
                       {"code": failed["Code"]})

    # -- bookkeeping -------------------------------------------------------------------------
    def _about(self, record: dict[str, Any]) -> dict[str, Any]:
        key = record["messageAttributes"].get(kinds.KEY_HEADER, {}).get("stringValue")
        return {"consumer": self.name, "key": key or record["messageId"],
                "MessageId": record["messageId"], "body": record["body"][:200],
                "attempt": int(record["attributes"]["ApproximateReceiveCount"]),
                "from": self.queue}

    def _emit(self, kind: str, reason: str, details: dict[str, Any] | None = None) -> None:
        self.sim.emit(kind, BROKER, source=self.node, reason=reason,
                      details={"consumer": self.name, **(details or {})})


def _record(message: dict[str, Any], queue: str) -> dict[str, Any]:
    """An SQS record as Lambda hands it to the function (the event's ``Records`` entries)."""
    return {
        "messageId": message["MessageId"], "receiptHandle": message["ReceiptHandle"],
        "body": message["Body"], "attributes": dict(message.get("Attributes", {})),
        "messageAttributes": {
            name: {"dataType": a["DataType"], "stringValue": a.get("StringValue")}
            for name, a in message.get("MessageAttributes", {}).items()},
        "md5OfBody": message["MD5OfBody"], "eventSource": "aws:sqs",
        "eventSourceARN": f"arn:aws:sqs:us-east-1:000000000000:{queue}",
        "awsRegion": "us-east-1",
    }
