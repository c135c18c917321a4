"""Dead-letter queues: the redrive policy, the move to the DLQ, and message move tasks back.

Rules and sources (Amazon SQS Developer Guide unless said otherwise):
- "Using dead-letter queues": a source queue's RedrivePolicy names the DLQ
  (``deadLetterTargetArn``) and ``maxReceiveCount``; "when the ReceiveCount for a message
  exceeds the maxReceiveCount for a queue, Amazon SQS moves the message to a dead-letter queue
  (with its original message ID)". The move happens when a receive would return the message
  for the (maxReceiveCount + 1)-th time: that receive moves it instead (observed on AWS in
  localstack/localstack#8234). AWS does not document the receive count after the move;
  mqlab keeps it, so the first receive from the DLQ shows one more. CreateQueue API Reference:
  maxReceiveCount defaults to 10; the console allows 1 to 1,000.
- "Configure a dead-letter queue": the DLQ must be of the same type as its source (a FIFO
  queue's DLQ is FIFO). The DLQ is an ordinary queue.
- "Setting-up dead-letter queue retention": for a standard queue the enqueue timestamp is
  kept, so retention counts from the original send; for a FIFO queue it resets on the move.
- "Learn how to configure a dead-letter queue redrive": moving to a FIFO DLQ replaces the
  deduplication id with the message id. A redrive re-sends each message as a new message with
  a new MessageId and enqueue time, oldest first, back to its source queue or to a chosen
  destination of the same type.
- RedriveAllowPolicy (CreateQueue API Reference): ``redrivePermission`` allowAll (default),
  denyAll, or byQueue with up to 10 ``sourceQueueArns``.
- StartMessageMoveTask API Reference: the source must be a DLQ of another queue; one active
  task per queue; MaxNumberOfMessagesPerSecond up to 500 (without it SQS picks a
  "system-optimized" rate: here 500 per second); statuses RUNNING, COMPLETED, CANCELLED,
  FAILED. ListMessageMoveTasks returns up to the 10 most recent tasks, newest first.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from . import kinds
from .errors import (
    InvalidParameterValue,
    QueueDoesNotExist,
    ResourceNotFoundException,
    UnsupportedOperation,
)
from .messages import Message

if TYPE_CHECKING:
    from .model import SQS
    from .queue import Queue

DEFAULT_MAX_RECEIVE_COUNT = 10
MAX_MOVE_RATE = 500


class RedrivePolicy:
    """A source queue's rule: past ``max_receive_count`` receives, move to the DLQ."""

    def __init__(self, source: Queue, target_arn: str, max_receive_count: int) -> None:
        self.source = source
        self.target_arn = target_arn
        self.max_receive_count = max_receive_count

    def moves(self, message: Message) -> bool:
        """Move ``message`` to the DLQ if this receive would pass maxReceiveCount."""
        if message.receive_count < self.max_receive_count:
            return False
        dead_letter_queue = self.source.model.queue_by_arn(self.target_arn)
        if dead_letter_queue is None:
            return False  # the DLQ was deleted: the message stays and is received as usual
        dead_letter(self.source, message, dead_letter_queue, self.max_receive_count)
        return True


def dead_letter(source: Queue, message: Message, target: Queue, limit: int) -> None:
    # The receive that finds the message past its limit moves it instead of returning it:
    # the message was received ``receive_count`` times (what its ×n cell and its receive
    # count say), and this was receive number receive_count + 1.
    count = message.receive_count
    reason = (f"receive {count + 1} > maxReceiveCount {limit}: moved to dead-letter queue "
              f"{target.name} (received {count} time{'' if count == 1 else 's'})")
    source.remove(message, kinds.DEAD_LETTERED, reason, target.node,
                  {"dead_letter_queue": target.name, "maxReceiveCount": limit},
                  {"rule": "redrive", "count": message.receive_count + 1, "max": limit,
                   "dlq": target.name})
    message.source_arn = source.arn
    if target.fifo:
        message.enqueued_at = source.sim.now
        message.dedup_id = message.id
        message.sequence_number = target.next_sequence_number()
    target.enqueue(message, 0)


def parse_redrive_policy(model: SQS, queue_arn: str, fifo: bool,
                         text: str) -> tuple[str, int] | None:
    """(deadLetterTargetArn, maxReceiveCount), or None when ``text`` is "" (no policy)."""
    if text == "":
        return None
    policy = _json_object("RedrivePolicy", text)
    target_arn = policy.get("deadLetterTargetArn")
    if not isinstance(target_arn, str):
        raise _bad("RedrivePolicy", text, "it needs a deadLetterTargetArn (the DLQ's QueueArn)")
    count = policy.get("maxReceiveCount", DEFAULT_MAX_RECEIVE_COUNT)
    if isinstance(count, str) and count.isdigit():
        count = int(count)
    if isinstance(count, bool) or not isinstance(count, int) or not 1 <= count <= 1000:
        raise _bad("RedrivePolicy", text, "maxReceiveCount must be from 1 to 1000")
    target = model.queue_by_arn(target_arn)
    if target is None:
        raise _bad("RedrivePolicy", text, f"dead-letter target {target_arn} does not exist")
    if target.arn == queue_arn:
        raise _bad("RedrivePolicy", text, "a queue cannot be its own dead-letter queue")
    if target.fifo != fifo:
        kind = "FIFO" if fifo else "standard"
        raise _bad("RedrivePolicy", text,
                   f"dead-letter queue {target.name} must be a {kind} queue like its source")
    if not allows(target.attributes.get("RedriveAllowPolicy"), queue_arn):
        raise _bad("RedrivePolicy", text,
                   f"the RedriveAllowPolicy of {target.name} does not allow this source queue")
    return target_arn, count


def check_redrive_allow_policy(text: str) -> None:
    if text == "":
        return
    policy = _json_object("RedriveAllowPolicy", text)
    permission = policy.get("redrivePermission")
    sources = policy.get("sourceQueueArns")
    if permission not in ("allowAll", "denyAll", "byQueue"):
        raise _bad("RedriveAllowPolicy", text,
                   "redrivePermission must be 'allowAll', 'denyAll' or 'byQueue'")
    if permission == "byQueue":
        if not isinstance(sources, list) or not 1 <= len(sources) <= 10:
            raise _bad("RedriveAllowPolicy", text,
                       "byQueue needs sourceQueueArns: a list of 1 to 10 queue ARNs")
    elif sources is not None:
        raise _bad("RedriveAllowPolicy", text, "sourceQueueArns goes only with byQueue")


def allows(text: str | None, source_arn: str) -> bool:
    if not text:
        return True
    policy = json.loads(text)
    permission = policy["redrivePermission"]
    return permission == "allowAll" or (
        permission == "byQueue" and source_arn in policy["sourceQueueArns"])


def _json_object(name: str, text: str) -> dict[str, Any]:
    try:
        value = json.loads(text)
    except ValueError:
        raise _bad(name, text, "it must be a JSON object") from None
    if not isinstance(value, dict):
        raise _bad(name, text, "it must be a JSON object")
    return value


def _bad(name: str, text: str, reason: str) -> InvalidParameterValue:
    return InvalidParameterValue(f"Value {text} for parameter {name} is invalid. Reason: {reason}")


class MoveTask:
    """A message move task: re-sends the DLQ's messages, oldest first, at a steady rate."""

    def __init__(self, model: SQS, handle: str, source: Queue, destination_arn: str | None,
                 rate: int | None) -> None:
        self.model = model
        self.handle = handle
        self.source = source
        self.destination_arn = destination_arn
        self.rate = rate
        self.status = "RUNNING"
        self.moved = 0
        self.to_move = source.counts()["ApproximateNumberOfMessages"]
        self.started_ms = int(model.sim.now * 1000)
        self.failure: str | None = None
        self._timer = model.sim.call_soon(self._tick)

    def _tick(self) -> None:
        self._timer = None
        if self.moved >= self.to_move or self.source.name not in self.model.queues:
            self._end("COMPLETED")
            return
        candidates = self.source._candidates(None)
        message = next(candidates, None)
        candidates.close()
        if message is None:
            self._end("COMPLETED")
            return
        destination = self.model.queue_by_arn(self.destination_arn or message.source_arn or "")
        if destination is None:
            self.source._ready(message)  # put it back where it was
            self.failure = "the destination queue does not exist"
            self._end("FAILED")
            return
        self.model.redrive_message(self.source, message, destination)
        self.moved += 1
        self._timer = self.model.sim.call_later(1 / (self.rate or MAX_MOVE_RATE), self._tick)

    def cancel(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
        self._end("CANCELLED")

    def _end(self, status: str) -> None:
        self.status = status
        self.model.sim.emit(kinds.MOVE_TASK_ENDED, "sqs", source=self.source.node,
                            reason=f"message move task {status.lower()} after moving "
                                   f"{self.moved} of {self.to_move}")

    def describe(self) -> dict[str, Any]:
        result: dict[str, Any] = {
            "Status": self.status,
            "SourceArn": self.source.arn,
            "ApproximateNumberOfMessagesMoved": self.moved,
            "ApproximateNumberOfMessagesToMove": self.to_move,
            "StartedTimestamp": self.started_ms,
        }
        if self.status == "RUNNING":
            result["TaskHandle"] = self.handle
        if self.destination_arn:
            result["DestinationArn"] = self.destination_arn
        if self.rate:
            result["MaxNumberOfMessagesPerSecond"] = self.rate
        if self.failure:
            result["FailureReason"] = self.failure
        return result


def check_move_task(model: SQS, source_arn: object, destination_arn: object,
                    rate: object) -> Queue:
    """The source queue of a valid StartMessageMoveTask request."""
    source = model.queue_by_arn(source_arn) if isinstance(source_arn, str) else None
    if source is None:
        raise ResourceNotFoundException(f"SourceArn {source_arn!r} is not the ARN of a queue")
    if not any(q.redrive and q.redrive.target_arn == source.arn for q in model.queues.values()):
        raise UnsupportedOperation(
            f"Source queue {source.name} must be configured as a dead-letter queue of another "
            "queue (named in its RedrivePolicy)")
    if destination_arn is not None:
        destination = model.queue_by_arn(destination_arn) \
            if isinstance(destination_arn, str) else None
        if destination is None:
            raise QueueDoesNotExist(f"DestinationArn {destination_arn!r} is not a queue's ARN")
        if destination.fifo != source.fifo:
            raise InvalidParameterValue("The destination queue must be of the same type "
                                        "(standard or FIFO) as the source queue")
    if rate is not None and (isinstance(rate, bool) or not isinstance(rate, int)
                             or not 1 <= rate <= MAX_MOVE_RATE):
        raise InvalidParameterValue(
            f"MaxNumberOfMessagesPerSecond {rate!r} is invalid: allowed 1 to {MAX_MOVE_RATE}")
    if any(t.source is source and t.status == "RUNNING" for t in model.move_tasks):
        raise UnsupportedOperation(
            f"Queue {source.name} already has a running message move task: only one at a time")
    return source
