"""FIFO queues: strict order within a message group, group locking, deduplication.

Rules and sources (Amazon SQS Developer Guide):
- "FIFO queue key terms", "Message ordering": messages of one MessageGroupId are received in the
  order they were sent. While a message of a group is in flight, no later message of that group
  is returned ("When you receive a message with a message group ID, no more messages for the
  same message group ID are returned unless you delete the message or it becomes visible");
  other groups go on.
- Knowledge Center, "Why doesn't my FIFO queue return all messages": a receive returns as many
  messages of the same group as it can, then messages of other available groups. Groups are
  served oldest head first here.
- "Exactly-once processing" / SendMessage API Reference: a message sent with a
  MessageDeduplicationId already accepted within the last 5 minutes is answered with success
  and never delivered. ContentBasedDeduplication uses the SHA-256 of the body (not the
  attributes) as the id. DeduplicationScope ``messageGroup`` keeps one window per group.
- SendMessage API Reference: SequenceNumber is a large non-consecutive number SQS gives each
  FIFO message, increasing in the queue (here: a 20-digit counter).
- "FIFO queue quotas": up to 120,000 messages in flight; past that SQS returns no error and no
  messages.
- "Amazon SQS delay queues": on a FIFO queue a new DelaySeconds is retroactive, it "affects the
  delay of messages already in the queue" (here: the messages still waiting for their delay,
  counted from their send); on a standard queue it is not.
"""

from __future__ import annotations

import hashlib
import heapq
from collections import deque
from collections.abc import Iterator
from typing import Any

from . import kinds
from .messages import DELAYED, VISIBLE, Message
from .queue import Queue

DEDUPLICATION_WINDOW = 300.0


class FifoQueue(Queue):
    fifo = True

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self.groups: dict[str, deque[Message]] = {}
        #: In-flight count of each locked group.
        self.locks: dict[str, int] = {}
        #: (order of the group's head, group) for groups a receive may serve.
        self._available: list[tuple[int, str]] = []
        self._dedup: dict[Any, tuple[str, str | None]] = {}
        self._dedup_times: deque[tuple[float, Any]] = deque()
        self._sequence = 10**19
        super().__init__(*args, **kwargs)

    def configure(self) -> None:
        before = getattr(self, "delay", None)
        super().configure()
        if before is not None and before != self.delay:
            self._delay_again()

    def _delay_again(self) -> None:
        now = self.sim.now
        for message in self.messages.values():
            if message.state == DELAYED:
                message.timer.cancel()
                message.visible_at = max(now, message.enqueued_at + self.delay)
                message.timer = self.sim.call_at(message.visible_at, self._delay_over, message)
                self.model.emit_message(kinds.DELAYED, message, self.node, self.node,
                                        f"queue DelaySeconds is now {self.delay} s (retroactive "
                                        "on a FIFO queue)", None,
                                        {"rule": "delay", "seconds": self.delay})

    # -- deduplication ---------------------------------------------------------------------
    def dedup_key(self, group: str, dedup_id: str) -> Any:
        return (group, dedup_id) if self.attributes["DeduplicationScope"] == "messageGroup" \
            else dedup_id

    def content_dedup_id(self, body: str) -> str | None:
        if self.attributes["ContentBasedDeduplication"] != "true":
            return None
        return hashlib.sha256(body.encode()).hexdigest()

    def duplicate_of(self, key: Any) -> tuple[str, str | None] | None:
        """(MessageId, SequenceNumber) of the message this key was first accepted for, if
        that was less than 5 minutes ago."""
        horizon = self.sim.now - DEDUPLICATION_WINDOW
        times = self._dedup_times
        while times and times[0][0] <= horizon:
            self._dedup.pop(times.popleft()[1], None)
        return self._dedup.get(key)

    def remember(self, key: Any, message: Message) -> None:
        self._dedup[key] = (message.id, message.sequence_number)
        self._dedup_times.append((self.sim.now, key))

    def next_sequence_number(self) -> str:
        self._sequence += 1
        return str(self._sequence)

    # -- groups ----------------------------------------------------------------------------
    def enqueue(self, message: Message, delay: int) -> None:
        group = self.groups.get(message.group_id)
        if group is None:
            group = self.groups[message.group_id] = deque()
        group.append(message)
        super().enqueue(message, delay)

    def _ready(self, message: Message) -> None:
        self._offer(message.group_id)

    def _offer(self, group_id: str) -> None:
        group = self.groups.get(group_id)
        if group and group_id not in self.locks and group[0].state == VISIBLE:
            heapq.heappush(self._available, (group[0].order, group_id))
            self.wake()

    def _candidates(self, sampled: frozenset[int] | None) -> Iterator[Message]:
        available = self._available
        while available:
            order, group_id = heapq.heappop(available)
            group = self.groups.get(group_id)
            if not group or group_id in self.locks or group[0].order != order \
                    or group[0].state != VISIBLE:
                continue  # stale: locked, emptied or offered twice
            index = 0
            while index < len(group):
                message = group[index]
                if message.state != VISIBLE:
                    break
                yield message
                if index < len(group) and group[index] is message:
                    index += 1  # delivered; a message moved to the DLQ left the group instead

    def _lock(self, message: Message) -> None:
        self.locks[message.group_id] = self.locks.get(message.group_id, 0) + 1

    def _unlock(self, message: Message) -> None:
        left = self.locks[message.group_id] - 1
        if left:
            self.locks[message.group_id] = left
        else:
            del self.locks[message.group_id]

    def _forget(self, message: Message) -> None:
        group = self.groups[message.group_id]
        if group[0] is message:
            group.popleft()
        else:
            group.remove(message)
        if group:
            self._offer(message.group_id)
        else:
            del self.groups[message.group_id]

    def locked_groups(self) -> list[str]:
        return sorted(self.locks)
