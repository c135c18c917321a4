"""An alert on a dead-letter queue: the on-call signal that something keeps failing.

A DLQ is only useful if someone looks at it. This monitor samples the depth of one queue every
``every`` seconds (as a CloudWatch alarm on ``ApproximateNumberOfMessagesVisible`` or a
Prometheus rule on ``rabbitmq_queue_messages`` does) and raises an ``alert`` event each time
the depth has grown to at least ``threshold`` since the last look.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from . import kinds

if TYPE_CHECKING:
    from engine.simulation import Simulation


class DlqAlert:
    def __init__(self, sim: Simulation, broker: str, queue: str, node: str,
                 depth: Callable[[str], int], *, threshold: int = 1, every: float = 5.0) -> None:
        self.sim = sim
        self.broker = broker
        self.queue = queue
        self.node = node
        self.depth = depth
        self.threshold = threshold
        self.every = every
        self.fired = 0
        self._last = 0

    def start(self) -> None:
        self.sim.call_later(self.every, self._look)

    def _look(self) -> None:
        depth = self.depth(self.queue)
        if depth >= self.threshold and depth > self._last:
            self.fired += 1
            self.sim.emit(kinds.ALERT, self.broker, target=self.node,
                          reason=f"ALERT: dead-letter queue {self.queue} grew to {depth}"
                          f" (threshold {self.threshold})",
                          details={"queue": self.queue, "depth": depth})
        self._last = depth
        self.sim.call_later(self.every, self._look)
