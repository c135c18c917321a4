"""Arrival patterns: when a simulated producer sends, and how many messages each time.

* ``steady``: ``per_second`` messages per second, evenly spaced.
* ``poisson``: the same mean rate with random (exponential) gaps, as independent users
  produce traffic.
* ``bursts``: ``size`` messages at once every ``every`` seconds.
* ``spike``: ``per_second`` normally and ``peak`` per second between ``start`` and ``end``:
  the traffic a queue absorbs so consumers can work at their own pace (load levelling).

Each pattern answers one question: ``next(now, rng) -> (delay, count)``: after ``delay``
seconds, send ``count`` messages. A producer asks it first when it starts, so its first
messages go one gap after its start time.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Steady:
    per_second: float

    def next(self, now: float, rng: random.Random) -> tuple[float, int]:
        return 1.0 / self.per_second, 1


@dataclass(frozen=True)
class Poisson:
    per_second: float

    def next(self, now: float, rng: random.Random) -> tuple[float, int]:
        return rng.expovariate(self.per_second), 1


@dataclass(frozen=True)
class Bursts:
    size: int
    every: float

    def next(self, now: float, rng: random.Random) -> tuple[float, int]:
        return self.every, self.size


@dataclass(frozen=True)
class Spike:
    per_second: float
    peak: float
    start: float
    end: float

    def rate_at(self, now: float) -> float:
        return self.peak if self.start <= now < self.end else self.per_second

    def next(self, now: float, rng: random.Random) -> tuple[float, int]:
        rate = self.rate_at(now)
        if rate > 0:
            gap = 1.0 / rate
            # Do not sail past the start of the spike at the slow rate.
            if now < self.start < now + gap:
                return self.start - now, 1
            return gap, 1
        if now < self.start:
            return self.start - now, 0
        return float("inf"), 0


Rate = Steady | Poisson | Bursts | Spike


def highest(rate: Rate | None) -> float:
    """The most messages per second a pattern asks for (what the room's rate cap bounds)."""
    if rate is None:
        return 0.0
    if isinstance(rate, Bursts):
        return rate.size / rate.every
    if isinstance(rate, Spike):
        return max(rate.per_second, rate.peak)
    return rate.per_second


def rate_from_spec(spec: dict[str, Any]) -> Rate:
    """Build a pattern from its scenario spec (already validated by the schema)."""
    kind = spec["kind"]
    if kind == "steady":
        return Steady(spec["per_second"])
    if kind == "poisson":
        return Poisson(spec["per_second"])
    if kind == "bursts":
        return Bursts(spec["size"], spec["every"])
    return Spike(spec.get("per_second", 0.0), spec["peak"], spec["start"], spec["end"])
