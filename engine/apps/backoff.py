"""Exponential backoff with jitter: how long to wait before the next attempt.

Retrying at once, or all clients at the same fixed intervals, hammers a struggling
dependency in synchronised waves. Exponential backoff grows the wait with each attempt
(``base * factor ** (attempt - 1)``, capped at ``cap``); jitter spreads the retries apart.
The variants are those of the AWS Architecture Blog post "Exponential Backoff And Jitter"
(Marc Brooker, 2015): ``"none"`` (the plain exponential), ``"full"`` (uniform in
``[0, wait]``), ``"equal"`` (half fixed, half random). The only randomness is ``sim.random``.
Delays are whole milliseconds, the unit brokers take them in (RabbitMQ's ``expiration``).
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import Literal

Jitter = Literal["none", "full", "equal"]


@dataclass(frozen=True)
class Backoff:
    base: float = 1.0
    factor: float = 2.0
    cap: float = 60.0
    jitter: Jitter = "full"

    def ceiling(self, attempt: int) -> float:
        """The un-jittered wait after failed attempt number ``attempt`` (1 = first failure)."""
        try:
            return min(self.cap, self.base * self.factor ** max(0, attempt - 1))
        except OverflowError:  # an attempt count from a header can be any size
            return self.cap

    def delay(self, attempt: int, rng: random.Random) -> float:
        wait = self.ceiling(attempt)
        if self.jitter == "full":
            return round(rng.uniform(0, wait), 3)
        if self.jitter == "equal":
            return round(wait / 2 + rng.uniform(0, wait / 2), 3)
        return wait
