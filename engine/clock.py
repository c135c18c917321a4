"""The virtual clock: a heap of scheduled calls.

Time in mqlab is virtual seconds. Nothing reads the wall clock: time moves only when the
caller asks (``Simulation.advance``) and only to the next thing that is due. The heap holds
``(time, priority, sequence, call)``; the sequence number breaks ties first-in-first-out, so
two runs that schedule the same calls run them in the same order (SimPy's ``core.py`` idea).
"""

from __future__ import annotations

import heapq
from collections.abc import Callable
from typing import Any, Protocol

#: Priorities: lower runs first among calls due at the same instant. Deliveries go before
#: timers so a message published "now" reaches an idle consumer before a timeout due "now".
URGENT = 0
NORMAL = 1
#: Calls one instant may run before the clock moves on by itself. A loop with no delay in
#: it (a consumer that releases a message with visibility 0 and receives it again at once,
#: with no processing time) would otherwise keep virtual time at one instant for ever; a
#: real one costs a network round trip each turn. Past this many calls, what is still due
#: at the instant runs ``NUDGE`` seconds later, in its order: the same for every run.
MAX_CALLS_PER_INSTANT = 10_000
NUDGE = 0.001


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


class Watch(Protocol):
    """Told when the clock passes its ``due`` instant (``passed(at, inclusive)``)."""

    due: float

    def passed(self, at: float, inclusive: bool) -> None: ...


class Clock:
    """Scheduled calls ordered by (time, priority, insertion order)."""

    def __init__(self) -> None:
        self._now = 0.0
        self._heap: list[tuple[float, int, int, Timer]] = []
        self._counter = 0
        self._instant_calls = 0
        #: An observer of instants passing (``engine.metrics.Recorder``), or None. It is no
        #: entry on the heap, so it changes neither the order of calls nor ``next_time``.
        self.watch: Watch | None = None

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

    def run_until(self, until: float, max_calls: int | None = None) -> int:
        """Run every call due at or before ``until`` (including ones scheduled meanwhile).
        With ``max_calls``, stop after that many calls: time then stays at the last call's
        instant (the caller sees it did not reach ``until``), so a caller that must bound its
        work can go on later from exactly where it stopped."""
        heap = self._heap
        ran = 0
        while heap and heap[0][0] <= until:
            if max_calls is not None and ran >= max_calls:
                return ran
            at, priority, order, timer = heapq.heappop(heap)
            if timer.cancelled:
                continue
            watch = self.watch
            if watch is not None and at > watch.due:
                watch.passed(at, False)  # every instant before ``at`` is settled
            if at > self._now:
                self._now = at
                self._instant_calls = 0
            elif self._instant_calls >= MAX_CALLS_PER_INSTANT:
                timer.at = self._now + NUDGE
                heapq.heappush(heap, (timer.at, priority, order, timer))
                continue
            self._instant_calls += 1
            timer.call(*timer.args)
            ran += 1
        if until > self._now:
            self._now = until
            self._instant_calls = 0
        if self.watch is not None and until >= self.watch.due:
            self.watch.passed(until, True)
        return ran

    def pending(self) -> int:
        return sum(1 for entry in self._heap if not entry[3].cancelled)
