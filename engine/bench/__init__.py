"""Benchmarks: ``python -m engine.bench [section ...]`` prints figures with a baseline
measured in the same run and the ratio. Targets live here, never in timed tests.

Each section is a module in this package with ``run(report)``; ``report(name, value, unit,
baseline=None, target=None)`` prints one line.
"""

from __future__ import annotations

import time
from collections.abc import Callable

SECTIONS = ("rabbitmq", "kafka", "sqs")


def best_rate(count: int, work: Callable[[int], object], repeat: int = 3) -> float:
    """Operations per second: ``work(count)`` timed ``repeat`` times, best run kept (the
    least disturbed by a noisy machine)."""
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        work(count)
        best = min(best, time.perf_counter() - start)
    return count / best
