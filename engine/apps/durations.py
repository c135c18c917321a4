"""Processing-time distributions: how long a simulated consumer works on one message.

A plain number is a constant. Otherwise ``{"kind": ...}``:
``constant`` (``seconds``), ``uniform`` (``min`` .. ``max``), ``exponential`` (``mean``: many
quick jobs and a long tail) or ``normal`` (``mean``, ``stddev``, never below 0).
"""

from __future__ import annotations

import random
from collections.abc import Callable
from typing import Any

Duration = Callable[[random.Random], float]


def duration_from_spec(spec: float | int | dict[str, Any]) -> Duration:
    if isinstance(spec, int | float):
        seconds = float(spec)
        return lambda rng: seconds
    kind = spec["kind"]
    if kind == "constant":
        seconds = float(spec["seconds"])
        return lambda rng: seconds
    if kind == "uniform":
        low, high = float(spec["min"]), float(spec["max"])
        return lambda rng: rng.uniform(low, high)
    if kind == "exponential":
        rate = 1.0 / float(spec["mean"])
        return lambda rng: rng.expovariate(rate)
    mean, stddev = float(spec["mean"]), float(spec["stddev"])
    return lambda rng: max(0.0, rng.gauss(mean, stddev))
