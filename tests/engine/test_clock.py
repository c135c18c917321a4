import pytest

from engine import InvalidArgument, Simulation


def test_advance_runs_due_calls_in_time_then_fifo_order():
    sim = Simulation()
    log = []
    sim.call_later(2, log.append, "b")
    sim.call_later(1, log.append, "a")
    sim.call_later(2, log.append, "c")
    sim.call_later(5, log.append, "late")
    sim.advance(2)
    assert log == ["a", "b", "c"]
    assert sim.now == 2


def test_advance_zero_runs_what_is_due_now_and_soon_goes_first():
    sim = Simulation()
    log = []
    sim.call_later(0, log.append, "timer")
    sim.call_soon(log.append, "delivery")
    sim.advance(0)
    assert log == ["delivery", "timer"]
    assert sim.now == 0


def test_calls_scheduled_while_advancing_run_if_due():
    sim = Simulation()
    log = []
    sim.call_later(1, lambda: sim.call_later(1, log.append, "chained"))
    sim.advance(3)
    assert log == ["chained"]


def test_step_jumps_to_next_scheduled_thing():
    sim = Simulation()
    log = []
    sim.call_later(7.5, log.append, "x")
    assert sim.next_due() == 7.5
    assert sim.step() is True
    assert (sim.now, log) == (7.5, ["x"])
    assert sim.step() is False


def test_cancelled_timer_never_runs():
    sim = Simulation()
    log = []
    timer = sim.call_later(1, log.append, "x")
    timer.cancel()
    sim.advance(5)
    assert log == [] and sim.next_due() is None


@pytest.mark.parametrize("bad", [-1, float("nan")])
def test_time_cannot_go_backwards(bad):
    sim = Simulation()
    with pytest.raises(InvalidArgument, match="forward"):
        sim.advance(bad)


def test_advance_to_reaches_exactly_a_time_no_advance_from_now_can_reach():
    sim = Simulation()
    sim.advance(2.961831806195037)
    at = 11.915577710421465  # no float seconds makes 2.961831806195037 + seconds equal it
    log = []
    sim.call_at(at, lambda: log.append(sim.now))
    sim.advance_to(at)
    assert (sim.now, log) == (at, [at])


@pytest.mark.parametrize("bad", [1.0, float("nan")])
def test_advance_to_cannot_go_backwards(bad):
    sim = Simulation()
    sim.advance(2)
    with pytest.raises(InvalidArgument, match="forward"):
        sim.advance_to(bad)
    assert sim.now == 2


def test_events_are_numbered_and_compare_by_value():
    a, b = Simulation(seed=3), Simulation(seed=3)
    logs = ([], [])
    for sim, log in zip((a, b), logs, strict=True):
        sim.subscribe(log.append)
        sim.emit("published", "test", "m1", None, "x", "because", {"k": 1})
        sim.emit("dropped", "test", "m1", "x", None, "no route")
    assert logs[0] == logs[1]
    assert [e.seq for e in logs[0]] == [1, 2]
    assert logs[0][0].to_dict()["details"] == {"k": 1}
