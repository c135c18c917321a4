"""The clock bounds the work of one call: in slices (``max_calls``) and per instant."""

from __future__ import annotations

from engine import Simulation
from engine.clock import MAX_CALLS_PER_INSTANT, NUDGE, Clock


def test_advance_in_slices_reaches_the_same_instants_as_one_advance():
    def world() -> tuple[Simulation, list[float]]:
        sim = Simulation(seed=1)
        seen: list[float] = []
        for i in range(1000):
            sim.call_at(i * 0.01, lambda: seen.append(sim.now))
        return sim, seen

    whole, seen_whole = world()
    whole.advance_to(9.0)
    sliced, seen_sliced = world()
    reached = [sliced.advance_to(9.0, max_calls=37) for _ in range(40)]
    assert reached[-1] is True and reached[0] is False
    assert seen_sliced == seen_whole and sliced.now == whole.now == 9.0


def test_a_slice_that_stops_early_leaves_the_clock_at_its_last_call():
    sim = Simulation(seed=1)
    for at in (1.0, 2.0, 3.0):
        sim.call_at(at, lambda: None)
    assert sim.advance_to(5.0, max_calls=2) is False
    assert sim.now == 2.0
    assert sim.advance_to(5.0, max_calls=2) is True
    assert sim.now == 5.0


def test_a_loop_with_no_delay_cannot_hold_time_at_one_instant_for_ever():
    clock = Clock()
    ran: list[float] = []

    def again() -> None:  # reschedules itself at the very same instant, for ever
        ran.append(clock.now)
        clock.call_at(clock.now, again)

    clock.call_at(0.0, again)
    clock.run_until(0.0)
    assert len(ran) == MAX_CALLS_PER_INSTANT and clock.now == 0.0
    clock.run_until(NUDGE)  # the rest of the loop goes on a moment later, in its order
    assert ran[-1] == NUDGE and len(ran) == 2 * MAX_CALLS_PER_INSTANT
