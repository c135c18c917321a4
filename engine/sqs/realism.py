"""The opt-in realism setting for standard queues: what a distributed SQS does now and then.

Off by default, so lessons are exact; when on, every choice comes from ``sim.random`` and so
replays with the seed. It shows why consumers of a standard queue must be idempotent
(SQS Developer Guide, "Amazon SQS standard queues", at-least-once delivery and best-effort
ordering; "Amazon SQS short and long polling"):
- Short polls sample servers: "Amazon SQS samples a subset of its servers (based on a weighted
  random distribution) and returns messages from only those servers", so a short poll may
  return fewer messages than are visible, or none, and not in order. Here each message lives on
  one of ``SERVERS`` servers and a short poll asks ``SAMPLED`` of them. Long polls ask all.
- Occasional duplicates: "you might occasionally receive a duplicate copy of a message". Here a
  receipt's visibility timeout lapses early with chance ``DUPLICATE_CHANCE``, so another
  receive can return the message while the first consumer still works on it (and that
  consumer's later delete, with an old handle, deletes nothing).
- Out of order: the messages of one receive come back shuffled.
FIFO queues never do any of this.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .messages import Message
    from .queue import Queue

SERVERS = 5
SAMPLED = 3
DUPLICATE_CHANCE = 0.05


class Realism:
    def __init__(self, random: Any) -> None:
        self.random = random
        self.enabled = False

    def server(self) -> int:
        """Which server a newly sent message lives on."""
        return self.random.randrange(SERVERS) if self.enabled else 0

    def sampled(self, queue: Queue, long_poll: bool) -> frozenset[int] | None:
        """The servers a receive asks, or None for all of them."""
        if not self.enabled or queue.fifo or long_poll:
            return None
        return frozenset(self.random.sample(range(SERVERS), SAMPLED))

    def lapse(self, queue: Queue, visibility: int) -> float:
        """How long a receipt really hides its message."""
        if self.enabled and not queue.fifo and visibility > 0 \
                and self.random.random() < DUPLICATE_CHANCE:
            return self.random.uniform(0, visibility)
        return visibility

    def reorder(self, queue: Queue, messages: list[Message]) -> None:
        if self.enabled and not queue.fifo and len(messages) > 1:
            self.random.shuffle(messages)
