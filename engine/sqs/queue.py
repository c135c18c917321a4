"""A queue's messages through time: delays, visibility timeouts, retention, receipt handles.

``Queue`` holds what standard and FIFO queues share; ``StandardQueue`` adds best-effort order
(``engine.sqs.fifo.FifoQueue`` adds message groups and deduplication). Every timed change is a
call scheduled on the simulation clock, so it happens at its exact virtual moment.

Rules and sources (Amazon SQS Developer Guide, "Amazon SQS visibility timeout", and the API
Reference of each action):
- A receive hides each returned message for the visibility timeout: the queue's
  VisibilityTimeout (default 30 s) or the receive's own. If it is not deleted by then, it is
  visible again and a later receive returns it with ApproximateReceiveCount one higher.
- Each receive gives a new receipt handle. DeleteMessage with an older handle succeeds but does
  not delete the message (DeleteMessage API Reference: "you must provide the most recently
  received ReceiptHandle for the message (otherwise, the request succeeds, but the message will
  not be deleted)"). On a standard queue the latest handle still deletes after the timeout
  expired; a FIFO queue refuses it ("The receipt handle has expired", checked against AWS in
  localstack/localstack#12442).
- ChangeMessageVisibility counts the new timeout from the moment of the call, 0 makes the
  message visible at once, and the total from the receive may not pass 12 hours (43,200 s):
  "you have a message with a visibility timeout of 5 minutes. After 3 minutes, you call
  ChangeMessageVisibility with a timeout of 10 minutes" gives 13 minutes in all.
- MessageRetentionPeriod: a message older than it is deleted, whatever its state.
- Standard queues: up to about 120,000 in-flight messages; a short poll past that gets
  OverLimit, a long poll gets nothing ("Amazon SQS standard queue quotas").
"""

from __future__ import annotations

import heapq
from collections import deque
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from ..topology import node_id
from . import kinds
from .attributes import MAX_VISIBILITY_TIMEOUT, defaults
from .errors import InvalidParameterValue, MessageNotInflight, ReceiptHandleIsInvalid
from .messages import DELAYED, GONE, IN_FLIGHT, VISIBLE, Message

if TYPE_CHECKING:
    from .model import SQS
    from .redrive import RedrivePolicy

ACCOUNT = "000000000000"
REGION = "us-east-1"
URL_PREFIX = f"https://sqs.{REGION}.amazonaws.com/{ACCOUNT}/"
ARN_PREFIX = f"arn:aws:sqs:{REGION}:{ACCOUNT}:"
IN_FLIGHT_LIMIT = 120_000
DELAY_OVER = {"rule": "delay-over"}


class Queue:
    fifo = False

    def __init__(self, model: SQS, name: str, attributes: dict[str, str],
                 tags: dict[str, str] | None) -> None:
        self.model = model
        self.sim = model.sim
        self.name = name
        self.url = URL_PREFIX + name
        self.arn = ARN_PREFIX + name
        self.node = node_id("sqs", "queue", name)
        self.attributes = defaults(self.fifo) | attributes
        self.tags = dict(tags or {})
        self.created = self.modified = self.sim.now
        self.messages: dict[str, Message] = {}
        #: The latest receipt handle of each received message still in the queue.
        self.handles: dict[str, Message] = {}
        self.in_flight = 0
        self.delayed = 0
        self.redrive: RedrivePolicy | None = None
        self.last_purge: float | None = None
        self.waiters: deque[Any] = deque()
        self._wake_pending = False
        self._expiry: list[tuple[float, int, Message]] = []
        self._expiry_timer: Any = None
        self.retention = 0
        self.configure()

    # -- attributes ------------------------------------------------------------------------
    def configure(self) -> None:
        """Cache the numbers the hot paths read; a new retention period applies to every
        message already in the queue."""
        attributes = self.attributes
        self.visibility_timeout = int(attributes["VisibilityTimeout"])
        self.delay = int(attributes["DelaySeconds"])
        self.max_size = int(attributes["MaximumMessageSize"])
        self.wait = int(attributes["ReceiveMessageWaitTimeSeconds"])
        retention = int(attributes["MessageRetentionPeriod"])
        if retention != self.retention:
            self.retention = retention
            for message in self.messages.values():
                message.expires_at = message.enqueued_at + retention
            self._rebuild_expiry()

    def counts(self) -> dict[str, int]:
        return {
            "ApproximateNumberOfMessages": len(self.messages) - self.in_flight - self.delayed,
            "ApproximateNumberOfMessagesNotVisible": self.in_flight,
            "ApproximateNumberOfMessagesDelayed": self.delayed,
        }

    # -- arrival ---------------------------------------------------------------------------
    def enqueue(self, message: Message, delay: int) -> None:
        """Put a message in this queue, hidden for ``delay`` seconds first."""
        message.queue = self
        self.model.stored.add(len(message.body.encode()))
        message.order = self.model.next_order()
        message.receipt = None
        self.messages[message.id] = message
        self._track_expiry(message)
        if delay > 0:
            message.state = DELAYED
            message.visible_at = self.sim.now + delay
            self.delayed += 1
            message.timer = self.sim.call_at(message.visible_at, self._delay_over, message)
        else:
            self._become_visible(message)

    def _delay_over(self, message: Message) -> None:
        message.timer = None
        self.delayed -= 1
        self.model.emit_message(kinds.VISIBLE, message, self.node, self.node,
                                "delivery delay ended", None, DELAY_OVER)
        self._become_visible(message)

    def _become_visible(self, message: Message) -> None:
        message.state = VISIBLE
        message.visible_at = self.sim.now
        self._ready(message)
        self.wake()

    # -- receiving -------------------------------------------------------------------------
    def receive(self, limit: int, visibility: int, consumer: str | None,
                sampled: frozenset[int] | None) -> list[Message]:
        """Take up to ``limit`` visible messages and put them in flight. A message past its
        redrive policy's maxReceiveCount moves to the dead-letter queue instead."""
        taken: list[Message] = []
        candidates = self._candidates(sampled)
        try:
            for message in candidates:
                if self.redrive is not None and self.redrive.moves(message):
                    continue
                self._deliver(message, visibility, consumer)
                taken.append(message)
                if len(taken) >= limit:
                    break
        finally:
            candidates.close()
        if visibility == 0:
            # VisibilityTimeout=0: returned, and visible to the next receive straight away.
            for message in taken:
                message.timer.cancel()
                self._visibility_over(message)
        return taken

    def _deliver(self, message: Message, visibility: int, consumer: str | None) -> None:
        now = self.sim.now
        message.receive_count += 1
        if message.first_receive_ms is None:
            message.first_receive_ms = int(now * 1000)
        message.state = IN_FLIGHT
        message.received_at = now
        message.consumer = consumer
        self.in_flight += 1
        if message.receipt is not None:
            self.handles.pop(message.receipt, None)
        message.receipt = f"{self.name}/{message.id}/{message.receive_count}"
        self.handles[message.receipt] = message
        message.visible_at = now + visibility
        hidden = self.model.realism.lapse(self, visibility)
        message.lapsed = hidden < visibility
        message.timer = self.sim.call_at(now + hidden, self._visibility_over, message)
        self._lock(message)
        self.model.emit_message(kinds.RECEIVED, message, self.node,
                                self.model.consumer_node(consumer) or self.node,
                                f"received (receive count {message.receive_count}), hidden for "
                                f"{visibility} s", None,
                                {"rule": "receive", "count": message.receive_count,
                                 "visibility": visibility, "until": now + visibility,
                                 "consumer": consumer, "queue": self.name})

    def _visibility_over(self, message: Message) -> None:
        message.timer = None
        self.in_flight -= 1
        self._unlock(message)
        if message.lapsed:
            reason = ("realism: a server missed the visibility timeout, the message is "
                      "visible again while still being processed")
        else:
            reason = f"visibility timeout expired (received {message.receive_count} times)"
        message.consumer = None
        self.model.emit_message(kinds.VISIBLE, message, self.node, self.node, reason, None,
                                {"rule": "visibility-lapsed" if message.lapsed
                                 else "visibility-expired", "count": message.receive_count})
        self._become_visible(message)

    # -- receipt handles -------------------------------------------------------------------
    def delete(self, handle: object) -> None:
        message = self.handles.get(handle) if isinstance(handle, str) else None
        if message is None:
            self._check_handle(handle)
            # an older or spent handle: success, nothing deleted (DeleteMessage API Reference)
            self._delete_ignored(handle)
            return
        if self.fifo and message.state != IN_FLIGHT:
            raise InvalidParameterValue(
                f"Value {handle} for parameter ReceiptHandle is invalid. Reason: The receipt "
                "handle has expired (on a FIFO queue a handle works only while its message "
                "is in flight)")
        self.remove(message, kinds.DELETED, "deleted with its receipt handle", None, None,
                    {"rule": "delete", "count": message.receive_count})

    def change_visibility(self, handle: object, visibility: int) -> None:
        message = self.handles.get(handle) if isinstance(handle, str) else None
        if message is None:
            self._check_handle(handle)
        if message is None or message.state != IN_FLIGHT:
            raise MessageNotInflight(
                f"Message of receipt handle {handle} is not in flight: only a message received"
                " and not yet deleted or visible again can change its visibility, with the"
                " handle of its latest receive")
        now = self.sim.now
        held = now - message.received_at
        if held + visibility > MAX_VISIBILITY_TIMEOUT:
            raise InvalidParameterValue(
                f"VisibilityTimeout {visibility} is too long: this message was received "
                f"{held:g} s ago and a receive may hide it for 43200 s (12 hours) in total, so "
                f"at most {int(MAX_VISIBILITY_TIMEOUT - held)} s remain")
        message.timer.cancel()
        message.lapsed = False
        message.visible_at = now + visibility
        self.model.emit_message(kinds.VISIBILITY_CHANGED, message, self.node, self.node,
                                f"visibility timeout set to {visibility} s from now", None,
                                {"rule": "visibility-changed", "seconds": visibility})
        if visibility == 0:
            self._visibility_over(message)
        else:
            message.timer = self.sim.call_at(now + visibility, self._visibility_over, message)

    def _delete_ignored(self, handle: str) -> None:
        """Show the learner a delete that SQS accepted but that deleted nothing."""
        if not self.sim.listening:
            self.sim.emit(kinds.DELETE_IGNORED, "sqs")
            return
        _, message_id, receive = handle.split("/")
        message = self.messages.get(message_id)
        if message is not None:
            why = (f"receipt handle from receive {receive} is outdated (the message was "
                   f"received again, {message.receive_count} times in all): SQS accepts the "
                   "delete and keeps the message")
        else:
            why = (f"receipt handle from receive {receive} belongs to a message no longer in "
                   f"{self.name} (already deleted, expired or moved): SQS accepts the delete "
                   "and nothing changes")
        self.sim.emit(kinds.DELETE_IGNORED, "sqs", source=self.node, target=self.node,
                      reason=why, details={"MessageId": message_id, "ReceiptHandle": handle,
                                           "receive": int(receive)})

    def _check_handle(self, handle: object) -> None:
        parts = handle.split("/") if isinstance(handle, str) else ()
        if len(parts) != 3 or parts[0] != self.name or not parts[2].isdigit():
            raise ReceiptHandleIsInvalid(
                f"The receipt handle {handle!r} is not valid for queue {self.name}: use the "
                "ReceiptHandle a receive_message on this queue returned")

    # -- leaving ---------------------------------------------------------------------------
    def remove(self, message: Message, kind: str, reason: str, target: str | None = None,
               details: dict[str, Any] | None = None,
               cause: dict[str, Any] | None = None) -> None:
        """Take a message out of this queue for good (deleted, expired, purged, moved)."""
        if message.timer is not None:
            message.timer.cancel()
            message.timer = None
        if message.state == IN_FLIGHT:
            self.in_flight -= 1
            self._unlock(message)
        elif message.state == DELAYED:
            self.delayed -= 1
        del self.messages[message.id]
        if message.receipt is not None:
            self.handles.pop(message.receipt, None)
        message.state = GONE
        message.queue = None
        self.model.stored.remove(len(message.body.encode()))
        self._forget(message)
        self.model.emit_message(kind, message, self.node, target, reason, details, cause)

    def purge(self, kind: str, reason: str, cause: dict[str, Any] | None = None) -> None:
        for message in list(self.messages.values()):
            self.remove(message, kind, reason, None, None, cause)

    # -- retention -------------------------------------------------------------------------
    def _track_expiry(self, message: Message) -> None:
        message.expires_at = message.enqueued_at + self.retention
        heapq.heappush(self._expiry, (message.expires_at, message.order, message))
        if len(self._expiry) > 2 * len(self.messages) + 64:
            self._rebuild_expiry()  # drop entries of messages long gone
        else:
            self._schedule_expiry()

    def _rebuild_expiry(self) -> None:
        self._expiry = [(m.expires_at, m.order, m) for m in self.messages.values()]
        heapq.heapify(self._expiry)
        if self._expiry_timer is not None:
            self._expiry_timer.cancel()
            self._expiry_timer = None
        self._schedule_expiry()

    def _schedule_expiry(self) -> None:
        if not self._expiry:
            return
        at = self._expiry[0][0]
        timer = self._expiry_timer
        if timer is not None and timer.at <= at:
            return
        if timer is not None:
            timer.cancel()
        self._expiry_timer = self.sim.call_at(at, self._expire_due)

    def _expire_due(self) -> None:
        self._expiry_timer = None
        now = self.sim.now
        heap = self._expiry
        while heap and heap[0][0] <= now:
            at, order, message = heapq.heappop(heap)
            if message.queue is self and message.order == order and message.expires_at == at:
                self.remove(message, kinds.EXPIRED,
                            f"older than MessageRetentionPeriod {self.retention} s", None, None,
                            {"rule": "retention", "seconds": self.retention})
        self._schedule_expiry()

    def close(self) -> None:
        """The queue is deleted: stop its timers and answer its waiting long polls."""
        if self._expiry_timer is not None:
            self._expiry_timer.cancel()
        while self.waiters:
            self.waiters.popleft().finish({})

    # -- long polls ------------------------------------------------------------------------
    def wake(self) -> None:
        """Something became receivable: serve waiting long polls at this same instant."""
        if self.waiters and not self._wake_pending:
            self._wake_pending = True
            self.sim.call_soon(self._serve_waiters)

    def _serve_waiters(self) -> None:
        self._wake_pending = False
        while self.waiters:
            waiter = self.waiters[0]
            response = waiter.attempt()
            if not response.get("Messages"):
                return
            self.waiters.popleft()
            waiter.finish(response)

    # -- what each queue type decides ------------------------------------------------------
    def _ready(self, message: Message) -> None:
        raise NotImplementedError

    def _candidates(self, sampled: frozenset[int] | None) -> Iterator[Message]:
        raise NotImplementedError

    def _forget(self, message: Message) -> None:
        """A message left the queue."""

    def _lock(self, message: Message) -> None:
        """A message went in flight."""

    def _unlock(self, message: Message) -> None:
        """A message is no longer in flight."""


class StandardQueue(Queue):
    """At-least-once, best-effort order: here oldest first, unless the realism setting
    samples servers (SQS Developer Guide, "Amazon SQS standard queues")."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self._visible: list[tuple[int, Message]] = []
        super().__init__(*args, **kwargs)

    def _ready(self, message: Message) -> None:
        heapq.heappush(self._visible, (message.order, message))

    def _candidates(self, sampled: frozenset[int] | None) -> Iterator[Message]:
        heap = self._visible
        skipped: list[tuple[int, Message]] = []
        try:
            while heap:
                entry = heapq.heappop(heap)
                message = entry[1]
                if message.state != VISIBLE or message.queue is not self \
                        or message.order != entry[0]:
                    continue  # deleted, expired or moved while visible
                if sampled is not None and message.server not in sampled:
                    skipped.append(entry)
                    continue
                yield message
        finally:
            for entry in skipped:
                heapq.heappush(heap, entry)

    def purge(self, kind: str, reason: str, cause: dict[str, Any] | None = None) -> None:
        super().purge(kind, reason, cause)
        self._visible.clear()
