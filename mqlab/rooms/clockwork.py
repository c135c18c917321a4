"""Moving a room's virtual clock with a bound on the work done at once.

A room must never hold the CPU for long: thirty students share the server. The engine runs
scheduled calls in slices (``Simulation.advance_to(at, max_calls=...)``) and the room stops
between slices once its wall-clock budget is spent; the clock then stands at the last call
run, and the next frame carries on from exactly there. Slicing never changes the outcome:
calls run in the clock's order whatever the slices, and a command waits until what is due
"now" has run (``Room.run_command``), so a replay, which runs without slices, gives the same
events.
"""

from __future__ import annotations

import time

from engine import Simulation

#: Scheduled calls per slice: small enough to check the budget often, large enough that the
#: check costs nothing.
SLICE_CALLS = 200


def advance_to(sim: Simulation, at: float) -> None:
    """Run everything due up to exactly virtual time ``at`` (so a replay reaches the very
    instants the live run did); nothing when ``at`` is not ahead."""
    if at > sim.now:
        sim.advance_to(at)


def run_bounded(sim: Simulation, at: float, budget: float) -> bool:
    """Run what is due up to ``at`` for at most ``budget`` wall seconds (a slice at least);
    True if ``at`` was reached, False if the budget ran out first."""
    deadline = time.perf_counter() + budget
    at = max(at, sim.now)
    while not sim.advance_to(at, max_calls=SLICE_CALLS):
        if time.perf_counter() >= deadline:
            return False
    return True
