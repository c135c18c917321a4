"""When a simulated consumer's processing fails.

Two rules, checked in order:

* a poison rule: a message whose body equals (or contains) one of the ``poison`` strings
  fails *every* time: a malformed order no retry will ever fix. Without a dead-letter queue
  it loops forever (requeue, redeliver, fail) and blocks the work behind it;
* a failure probability: each attempt fails with probability ``rate`` (a flaky
  dependency), drawn from ``sim.random`` so a seed replays the same failures.
"""

from __future__ import annotations

import random
from dataclasses import dataclass


@dataclass(frozen=True)
class FailureRule:
    rate: float = 0.0
    poison: tuple[str, ...] = ()
    match: str = "equals"  # or "contains"

    def is_poison(self, body: str) -> bool:
        if self.match == "contains":
            return any(p in body for p in self.poison)
        return body in self.poison

    def reason(self, body: str, rng: random.Random) -> str | None:
        """Why this attempt fails, or None when it succeeds."""
        if self.is_poison(body):
            return f"poison message: body {body[:60]!r} fails every time"
        # Draw only when a rate is set, so adding a poison rule does not shift the seed.
        if self.rate > 0 and rng.random() < self.rate:
            return f"transient failure (failure rate {self.rate:g})"
        return None
