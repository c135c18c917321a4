"""The walkthrough step runner: actions timed from the start of their step, checkpoints
at its end, and back / replay by deterministic re-play from the start."""

import pytest

from engine.scenario import Walkthrough

SCENARIO = {
    "title": "s", "description": "d", "duration": 10, "seed": 4,
    "rabbitmq": {"queues": [{"name": "q"}]},
    "producers": [{"name": "p", "broker": "rabbitmq", "routing_key": "q"}],
    "consumers": [{"name": "c", "broker": "rabbitmq", "queue": "q", "prefetch": 1,
                   "processing": {"kind": "uniform", "min": 0.5, "max": 1.5}}],
    "expect": [{"metric": "published", "op": "==", "value": 999}],
}
WALKTHROUGH = {
    "title": "w", "description": "d", "scenario": "inline",
    "steps": [
        {"title": "publish", "narration": "n", "run_for": 5,
         "actions": [{"at": 1, "do": "publish", "producer": "p", "count": 3}],
         "checkpoints": [{"metric": "published", "op": "==", "value": 3}]},
        {"title": "crash", "narration": "n", "run_for": 5,
         "actions": [{"at": 0.5, "do": "publish", "producer": "p"},
                     {"at": 0.6, "do": "crash", "consumer": "c"}],
         "predict": {"question": "q", "choices": ["a", "b"], "answer": 0}, "reveal": "r",
         "checkpoints": [{"metric": "received", "of": "c", "op": "==", "value": 4},
                         {"metric": "depth", "of": "q", "op": "==", "value": 1}]},
        {"title": "restart", "narration": "n", "run_for": 5,
         "actions": [{"at": 0, "do": "restart", "consumer": "c"}],
         "checkpoints": [{"metric": "side_effects", "of": "c", "op": "==", "value": 4}]},
    ],
}


def test_steps_run_their_actions_from_the_step_start_and_check_at_the_end():
    walk = Walkthrough(WALKTHROUGH, SCENARIO)
    first = walk.next()
    assert (first.started_at, first.ended_at, first.ok) == (0, 5, True)
    published = [e.at for e in first.events if e.kind == "published"]
    assert published == [1, 1, 1]
    second = walk.next()
    assert second.started_at == 5
    assert [e.at for e in second.events if e.kind == "app-crashed"] == [5.6]
    assert [o.actual for o in second.checkpoints] == [4, 1]
    assert walk.next().ok and walk.finished


def test_a_step_s_events_are_only_those_of_that_step():
    walk = Walkthrough(WALKTHROUGH, SCENARIO)
    results = walk.play_all()
    assert all(r.started_at <= e.at <= r.ended_at for r in results for e in r.events)
    seqs = [e.seq for r in results for e in r.events]
    assert seqs == sorted(seqs) and len(seqs) == len(set(seqs))


def test_goto_replays_a_step_identically():
    walk = Walkthrough(WALKTHROUGH, SCENARIO)
    played = walk.play_all()
    again = walk.goto(1)
    assert again.events == played[1].events
    assert walk.position == 2
    back = walk.goto(0)
    assert back.events == played[0].events and walk.position == 1


def test_checkpoints_that_fail_are_reported_not_raised():
    failing = {**WALKTHROUGH, "steps": [{**WALKTHROUGH["steps"][0], "checkpoints": [
        {"metric": "published", "op": "==", "value": 4}]}]}
    result = Walkthrough(failing, SCENARIO).next()
    assert not result.ok
    assert result.checkpoints[0].describe() == "published == 4: NOT MET (actual 3)"


def test_stepping_past_the_end_or_to_no_step_says_what_exists():
    walk = Walkthrough(WALKTHROUGH, SCENARIO)
    walk.play_all()
    with pytest.raises(IndexError, match="all 3 steps have been played"):
        walk.next()
    with pytest.raises(IndexError, match="steps are 0 to 2"):
        walk.goto(3)
