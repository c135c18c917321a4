"""The virtual clock: a heap of scheduled calls.

Time in mqlab is virtual seconds. Nothing reads the wall clock: time moves only when the
caller asks (``Simulation.advance``) and only to the next thing that is due. The heap holds
``(time, priority, sequence, call)``; the sequence number breaks ties first-in-first-out, so
two runs that schedule the same calls run them in the same order (SimPy's ``core.py`` idea).
"""

from __future__ import annotations

import heapq
from collections.abc import Callable
from typing import Any

#: Priorities: lower runs first among calls due at the same instant. Deliveries go before
#: timers so a message published "now" reaches an idle consumer before a timeout due "now".
URGENT = 0
NORMAL = 1


class Timer:
    """A handle on one scheduled call; ``cancel()`` stops it from running."""

    __slots__ = ("at", "call", "args", "cancelled")

    def __init__(self, at: float, call: Callable[..., Any], args: tuple[Any, ...]) -> None:
        self.at = at
        self.call = call
        self.args = args
        self.cancelled = False

    def cancel(self) -> None:
        self.cancelled = True


class Clock:
    """Scheduled calls ordered by (time, priority, insertion order)."""

    def __init__(self) -> None:
        self._now = 0.0
        self._heap: list[tuple[float, int, int, Timer]] = []
        self._counter = 0

    @property
    def now(self) -> float:
        return self._now

    def call_at(self, at: float, call: Callable[..., Any], *args: Any,
                priority: int = NORMAL) -> Timer:
        if at < self._now:
            at = self._now
        timer = Timer(at, call, args)
        self._counter += 1
        heapq.heappush(self._heap, (at, priority, self._counter, timer))
        return timer

    def call_later(self, delay: float, call: Callable[..., Any], *args: Any,
                   priority: int = NORMAL) -> Timer:
        return self.call_at(self._now + max(0.0, delay), call, *args, priority=priority)

    def next_time(self) -> float | None:
        """When the next live call is due, or None when nothing is scheduled."""
        heap = self._heap
        while heap and heap[0][3].cancelled:
            heapq.heappop(heap)
        return heap[0][0] if heap else None

    def run_until(self, until: float) -> int:
        """Run every call due at or before ``until`` (including ones scheduled meanwhile)."""
        heap = self._heap
        ran = 0
        while heap and heap[0][0] <= until:
            at, _, _, timer = heapq.heappop(heap)
            if timer.cancelled:
                continue
            self._now = at
            timer.call(*timer.args)
            ran += 1
        if until > self._now:
            self._now = until
        return ran

    def pending(self) -> int:
        return sum(1 for entry in self._heap if not entry[3].cancelled)
