"""The side-effect ledger: what the outside world saw ("emails sent", "cards charged").

A broker can only promise delivery; what a customer notices is the side effect. The ledger
counts side effects per idempotency key, so a second email for the same order shows up as a
*duplicate* and an order whose message was acknowledged but never processed shows up as
*lost*. Consumers that stand for one service (competing instances of "billing") share one
ledger, named by its ``label``; the ledger also remembers, per ordering key, the last
sequence number the service processed, so work done out of order per key is visible.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class Ledger:
    label: str
    performed: dict[str, int] = field(default_factory=dict)
    lost: set[str] = field(default_factory=set)
    #: highest sequence number processed per ordering key, to spot reordering
    last_seq: dict[str, int] = field(default_factory=dict)

    def perform(self, key: str) -> bool:
        """Record one side effect for ``key``; True when it had already happened (duplicate)."""
        count = self.performed.get(key, 0) + 1
        self.performed[key] = count
        self.lost.discard(key)
        return count > 1

    def lose(self, key: str) -> None:
        """The work for ``key`` was dropped for good (unless it is somehow done later)."""
        if key not in self.performed:
            self.lost.add(key)

    @property
    def total(self) -> int:
        return sum(self.performed.values())

    @property
    def unique(self) -> int:
        return len(self.performed)

    @property
    def duplicates(self) -> int:
        return self.total - self.unique
