"""Producer backpressure: what a producer does when the queue in front of it is filling up.

A queue absorbs bursts, but not for ever. A producer that watches the depth (a metric, or the
broker's own signal) can ``slow`` down (pause ``pause`` seconds and look again: the work
waits upstream) or ``reject`` new work at once (an HTTP 503 to its caller: the work never
enters the system). RabbitMQ can also push back by itself: a queue with ``x-overflow:
reject-publish`` nacks publishes once it is full, and a producer using publisher confirms
sees each refusal (RabbitMQ docs, "Queue Length Limit", overflow behaviour).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal


@dataclass(frozen=True)
class Backpressure:
    queue: str
    threshold: int
    action: Literal["slow", "reject"] = "slow"
    pause: float = 1.0

    def engaged(self, depth: int) -> bool:
        return depth >= self.threshold
