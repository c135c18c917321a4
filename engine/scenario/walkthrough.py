"""Walkthroughs: a scenario told step by step, for interview practice and the classroom.

A walkthrough names a scenario (the world: topology, apps, their own timeline) and a list of
steps. Each step has narration, the actions it performs (timeline actions whose ``at`` counts
from the start of the step), how long it then runs (``run_for`` virtual seconds), an optional
prediction question with choices and the index of the right one, the reveal that explains what
the learner just saw, and checkpoints (expectations checked when the step ends) that prove the
engine did show it.

``Walkthrough.next()`` plays the next step and returns a ``StepResult`` with the step's events
and checkpoint outcomes. Going back or replaying a step cannot rewind a simulation, so
``goto(i)`` builds a fresh one from the same seed and replays steps 0..i: determinism makes
the replay identical to the first run.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from engine.events import Event

from . import timeline
from .expectations import Outcome, judge
from .runner import Run


@dataclass
class StepResult:
    index: int
    step: dict[str, Any]
    started_at: float
    ended_at: float
    events: list[Event] = field(default_factory=list)
    checkpoints: list[Outcome] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return all(outcome.met for outcome in self.checkpoints)


class Walkthrough:
    def __init__(self, walkthrough: dict[str, Any], scenario: dict[str, Any],
                 seed: int | None = None,
                 listeners: Iterable[Callable[[Event], Any]] = ()) -> None:
        self.spec = walkthrough
        # The walkthrough's checkpoints replace the scenario's own expectations.
        self.scenario = {k: v for k, v in scenario.items() if k != "expect"}
        self.seed = walkthrough.get("seed") if seed is None else seed
        self.listeners = list(listeners)
        self.reset()

    @property
    def steps(self) -> list[dict[str, Any]]:
        return self.spec["steps"]

    @property
    def finished(self) -> bool:
        return self.position >= len(self.steps)

    def reset(self) -> None:
        """A fresh simulation, before the first step."""
        self._events: list[Event] = []
        self.run = Run(self.scenario, self.seed, [*self.listeners, self._events.append])
        # What is due at the start (consumers subscribing, the first sends) happens before
        # the first step, so a learner sees the system at rest before anything is asked.
        self.run.sim.advance(0)
        self.position = 0

    def next(self) -> StepResult:
        """Play the next step: its actions, ``run_for`` seconds, then its checkpoints."""
        self.begin()
        self.run.sim.advance(self.steps[self.position]["run_for"])
        return self.finish()

    def begin(self) -> float:
        """Schedule the next step's actions and return the virtual time the step ends. A
        caller that paces the clock itself (a live room) advances to that time, then calls
        ``finish()``; ``next()`` does both at once."""
        if self.finished:
            raise IndexError(f"all {len(self.steps)} steps have been played; use goto(i) to"
                             " replay one")
        step = self.steps[self.position]
        sim = self.run.sim
        self._started = (sim.now, len(self._events))
        for action in step.get("actions", ()):
            sim.call_at(sim.now + action["at"], timeline.attempt, self.run, action)
        return sim.now + step["run_for"]

    def finish(self) -> StepResult:
        """Judge the begun step's checkpoints on the state now and move to the next step."""
        index = self.position
        step = self.steps[index]
        start, first_event = self._started
        self.run.recorder.sample()
        outcomes = [judge(c, self.run.measure(c["metric"], c.get("of")))
                    for c in step.get("checkpoints", ())]
        self.position += 1
        return StepResult(index, step, start, self.run.sim.now, self._events[first_event:],
                          outcomes)

    def goto(self, index: int) -> StepResult:
        """Replay from the start up to step ``index`` (back, or replay a step)."""
        if not 0 <= index < len(self.steps):
            raise IndexError(f"step {index} does not exist; steps are 0 to {len(self.steps) - 1}")
        self.reset()
        result = self.next()
        while result.index < index:
            result = self.next()
        return result

    def play_all(self) -> list[StepResult]:
        return [self.next() for _ in range(len(self.steps) - self.position)]
