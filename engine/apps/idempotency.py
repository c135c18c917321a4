"""The processed-ids store that makes an at-least-once consumer *effectively once*.

A broker that redelivers (after a crash, a timeout, a rebalance) will sometimes hand the same
message over twice; exactly-once *delivery* is impossible across a network. What a consumer
can get is exactly-once *effect*: before performing the side effect it looks the message's
idempotency key up in a durable store, and it records the key in the same transaction as the
side effect (an outbox row, or a unique constraint on the key). Check and record happen in one
step here (one call at one virtual instant), so no crash can fall between them. The store
survives consumer crashes, as a database does, and is shared by every instance of a service.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class ProcessedIds:
    keys: set[str] = field(default_factory=set)

    def first_time(self, key: str) -> bool:
        """True, and the key recorded, when ``key`` was never processed; False otherwise."""
        if key in self.keys:
            return False
        self.keys.add(key)
        return True
