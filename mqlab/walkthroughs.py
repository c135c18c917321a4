"""Walkthroughs in a live room: the guide that paces a walkthrough step by step.

The engine's ``Walkthrough`` plays a step in one go; a room plays it at the room's speed so
the learner watches it happen. A step moves through three phases:

- ``ready``: the narration and the prediction question are shown; the clock is held at the
  step's start (``limit``), so nothing moves that the step has not asked for;
- ``running``: the step's actions are scheduled and the room's runner advances the clock,
  which stops exactly at the step's end;
- ``done``: the checkpoints are judged on the engine's state, and the answer, the reveal and
  what the step's events were are shown.

Going back or replaying a step cannot rewind a simulation: the room is rebuilt from the
seed and the earlier steps are played again at once (the engine is deterministic, so the
world is the same as the first time). The presenter drives; every viewer gets the guide's
state as a ``walkthrough`` frame (``mqlab.wire``) and follows.
"""

from __future__ import annotations

from collections import Counter
from typing import Any, Literal

from engine import Simulation
from engine.scenario import StepResult, Walkthrough
from engine.scenario.expectations import Outcome

Phase = Literal["ready", "running", "done"]
#: A kind seen at most this often in a step is listed event by event in the reveal.
RARE = 3
MAX_LISTED = 8
#: Metrics read from a consumer's side-effect ledger: consumers that share a side_effect label
#: are one service and share one ledger (engine.scenario.cast), so "side effects of X" counts
#: the work of X's whole service, not X's alone.
LEDGER_METRICS = frozenset({"side_effects", "duplicates", "lost"})


class GuideError(Exception):
    """A walkthrough action that does not apply now (the message says what does)."""


class Guide:
    """One room's walkthrough: the engine's step runner plus the step's phase."""

    def __init__(self, walkthrough: dict[str, Any], scenario: dict[str, Any], seed: int,
                 listener: Any) -> None:
        self.spec = walkthrough
        self.engine = Walkthrough(walkthrough, scenario, seed, [listener])
        self.index = 0
        self.phase: Phase = "ready"
        self.result: StepResult | None = None
        self.limit = self.sim.now
        #: Virtual time the current step starts at.
        self.start = self.sim.now

    @property
    def sim(self) -> Simulation:
        return self.engine.run.sim

    @property
    def steps(self) -> list[dict[str, Any]]:
        return self.engine.steps

    def restore(self, index: int, done: bool) -> None:
        """Play steps before ``index`` at once (and step ``index`` too when ``done``)."""
        index = max(0, min(index, len(self.steps) - 1))
        for _ in range(index):
            self.engine.next()
        self.index = index
        self.phase = "ready"
        self.limit = self.start = self.sim.now
        if done:
            self.result = self.engine.next()
            self.phase = "done"
            self.limit = self.sim.now

    def state(self) -> dict[str, Any]:
        """What a room record keeps: a running step is restored as played."""
        return {"index": self.index, "done": self.phase != "ready"}

    # -- the presenter's actions -----------------------------------------------------------
    def run(self) -> None:
        if self.phase != "ready":
            raise GuideError("this step has already run; use replay to see it again")
        self.limit = self.engine.begin()
        self.phase = "running"

    def reached(self) -> bool:
        """Called after the clock moved: finish a running step whose end has come."""
        if self.phase == "running" and self.sim.now >= self.limit:
            self.result = self.engine.finish()
            self.phase = "done"
            return True
        return False

    def finish(self) -> None:
        """Fast-forward a running step to its end (the presenter's "skip to the end")."""
        if self.phase != "running":
            raise GuideError("only a running step can be fast-forwarded; run it first")
        from mqlab.rooms.clockwork import advance_to  # rooms imports this module

        advance_to(self.sim, self.limit)
        self.reached()

    def next(self) -> None:
        """On to the next step; a step not run yet is played at once first."""
        if self.index >= len(self.steps) - 1:
            raise GuideError("this is the last step; use back or replay")
        if self.phase == "ready":
            self.run()
        if self.phase == "running":
            from mqlab.rooms.clockwork import advance_to  # rooms imports this module

            advance_to(self.sim, self.limit)
            self.reached()
        self.index += 1
        self.phase = "ready"
        self.result = None
        self.limit = self.start = self.sim.now

    def target(self, action: str, value: Any) -> int:
        """The step a rebuild must reach for back / replay / goto (GuideError if none)."""
        if action == "back":
            if self.index == 0:
                raise GuideError("this is the first step")
            return self.index - 1
        if action == "replay":
            return self.index
        if isinstance(value, bool) or not isinstance(value, int) \
                or not 0 <= value < len(self.steps):
            raise GuideError(f"goto needs a step number from 0 to {len(self.steps) - 1}; "
                             f"got {value!r}")
        return value

    # -- what viewers see --------------------------------------------------------------------
    def frame_fields(self) -> dict[str, Any]:
        spec = self.spec
        return {"title": spec["title"], "kind": spec.get("kind", "pattern"),
                "question": spec.get("question"), "description": spec.get("description", ""),
                "steps": [step["title"] for step in self.steps], "index": self.index,
                "phase": self.phase, "now": self.sim.now,
                "last": self.index == len(self.steps) - 1, "step": self._step()}

    def _scheduled(self, step: dict[str, Any]) -> list[str]:
        """What happens to the system during the step, by virtual time: the step's own
        actions, and the scenario's timeline and late-starting consumers that fall within it
        (what is due at the start of the walkthrough happened before its first step)."""
        start, end = self.start, self.start + step["run_for"]
        scenario = self.engine.scenario
        planned = [(start + action["at"], action) for action in step.get("actions", ())]
        planned += [(action["at"], action) for action in scenario.get("timeline", ())
                    if start < action["at"] <= end]
        planned += [(consumer["start"], {"do": "start-consumer", "consumer": consumer["name"]})
                    for consumer in scenario.get("consumers", ())
                    if start < consumer.get("start", 0) <= end]
        return [describe_action(at, action)
                for at, action in sorted(planned, key=lambda item: item[0])]

    def _step(self) -> dict[str, Any]:
        step = self.steps[self.index]
        done = self.phase == "done" and self.result is not None
        predict = step.get("predict")
        outcomes = self.result.checkpoints if done and self.result else []
        scenario = self.engine.scenario
        return {
            "title": step["title"], "narration": step["narration"],
            "run_for": step["run_for"],
            "actions": self._scheduled(step),
            "predict": ({"question": predict["question"], "choices": predict["choices"]}
                        if predict else None),
            # The answer and the reveal are sent only once the step has run.
            "answer": predict["answer"] if predict and done else None,
            "reveal": step.get("reveal") if done else None,
            # Before the step has run, only how many checkpoints there are: their targets
            # would give the prediction's answer away.
            "checkpoints": [checkpoint(outcome, scenario) for outcome in outcomes] if done
            else [],
            "checkpoint_count": len(step.get("checkpoints", ())),
            "notes": step.get("notes"),
            "seen": seen(self.result) if done and self.result else None,
            "ends_at": self.limit if self.phase == "running" else None,
        }


def describe_action(at: float, action: dict[str, Any]) -> str:
    """``{"do": "crash", "consumer": "billing"}`` at 8 -> "t=8s: crash (consumer billing)"."""
    details = ", ".join(f"{key} {value}" for key, value in action.items()
                        if key not in ("at", "do", "note"))
    note = f": {action['note']}" if action.get("note") else ""
    return f"t={at:g}s: {action['do']}" + (f" ({details})" if details else "") + note


def describe_expectation(expectation: dict[str, Any]) -> str:
    subject = expectation["metric"].replace("_", " ")
    if "of" in expectation:
        subject += f" of {expectation['of']}"
    return f"{subject} {expectation['op']} {expectation['value']:g}"


#: A checkpoint's metric as a sentence: (template with {q} from ``_quantity``, the counted
#: noun, the sentence when the claim is "none").
SENTENCES = {
    "received": ("{of} received {q}", "message", "{of} received nothing"),
    "side_effects": ("{of} did its work {q}", "time", "{of} did no work"),
    "duplicates": ("{of} did the same work twice {q}", "time",
                   "{of} never did the same work twice"),
    "lost": ("{of} lost {q}", "message", "{of} lost nothing"),
    "depth": ("{of} holds {q} at the end", "message", "{of} is empty at the end"),
    "max_depth": ("{of} held {q} at its fullest", "message", "{of} never held a message"),
    "failures": ("{of} failed {q}", "time", "{of} never failed"),
    "retries": ("{of} retried {q}", "time", "{of} never retried"),
    "rejected": ("{of} rejected {q}", "message", "{of} rejected nothing"),
    "skipped_duplicates": ("{of} skipped {q} as duplicates", "message",
                           "{of} skipped no duplicate"),
    "lag": ("{of} is behind by {q}", "message", "{of} is caught up (no lag)"),
    "alerts": ("{q} raised", "alert", "no alert raised"),
    "events": ("{q} of kind '{of}' happened", "event", "no '{of}' event happened"),
    "out_of_order": ("{of} applied {q} after a later one of the same key", "update",
                     "{of} applied every key's updates in order"),
    "published": ("{of} sent {q}", "message", "{of} sent nothing"),
    "rows": ("{of} has {q} in its database", "row", "{of} has no row in its database"),
}
#: Who a checkpoint without "of" is about.
EVERYONE = {"received": "every consumer together", "side_effects": "the whole system",
            "lost": "the whole system", "duplicates": "the whole system"}


def _plural(count: float, noun: str) -> str:
    return f"{count:g} {noun}" + ("" if count == 1 else "s")


def _quantity(op: str, value: float, noun: str) -> str:
    if op == ">" and value == 0:
        return f"at least one {noun}"
    words = {"==": "exactly", "!=": "anything but", ">": "more than", ">=": "at least",
             "<": "fewer than", "<=": "at most"}[op]
    return f"{words} {_plural(value, noun)}"


def describe_sentence(expectation: dict[str, Any]) -> str:
    """A checkpoint as a learner reads it: "fraud-rabbit received nothing"."""
    metric = expectation["metric"]
    if metric not in SENTENCES:
        return describe_expectation(expectation)
    template, noun, none = SENTENCES[metric]
    of = expectation.get("of", EVERYONE.get(metric, "the system"))
    if expectation["value"] == 0 and expectation["op"] in ("==", "<="):
        text = none.format(of=of)
    else:
        text = template.format(of=of, q=_quantity(expectation["op"], expectation["value"], noun))
    # A name stays as written ("fraud-rabbit received nothing"); a sentence starts upper case.
    return text if text.startswith(of) else text[0].upper() + text[1:]


def describe_checkpoint(expectation: dict[str, Any], scenario: dict[str, Any],
                        actual: float | None = None) -> str:
    """The claim as a sentence, whose counter it reads (a whole service may share it), the
    measured value once known, and the author's note: "billing-1 did its work exactly 20
    times (counter 'emails sent', shared by billing-1, billing-2; measured 20): ..."."""
    counter = _service_counter(expectation, scenario)
    details = [counter] if counter else []
    if actual is not None:
        details.append(f"measured {actual:g}")
    text = describe_sentence(expectation)
    if details:
        text += f" ({'; '.join(details)})"
    if expectation.get("note"):
        text += f": {expectation['note']}"
    return text


def describe_claim(expectation: dict[str, Any], scenario: dict[str, Any]) -> str:
    """The claim, and whose counter it reads when that is not plain from its name."""
    counter = _service_counter(expectation, scenario)
    return describe_expectation(expectation) + (f" [{counter}]" if counter else "")


def _service_counter(expectation: dict[str, Any], scenario: dict[str, Any]) -> str | None:
    if expectation["metric"] not in LEDGER_METRICS:
        return None
    consumers = {c["name"]: c.get("side_effect", c["name"]) for c in scenario.get("consumers", ())}
    of = expectation.get("of")
    label = consumers.get(of)
    service = [name for name, shared in consumers.items() if shared == label]
    if label is None or (label == of and len(service) == 1):
        return None  # no consumer, or its own counter named after it: nothing to add
    return f"counter '{label}'" + (f", shared by {', '.join(service)}" if len(service) > 1
                                   else "")


def checkpoint(outcome: Outcome, scenario: dict[str, Any]) -> dict[str, Any]:
    return {"text": describe_checkpoint(outcome.expectation, scenario, outcome.actual),
            "met": outcome.met}


def seen(result: StepResult) -> dict[str, Any]:
    """The step's events for the reveal: a count per kind (most frequent first) and the
    rare ones one by one, since those are usually what the step is about."""
    counts = Counter(event.kind for event in result.events)
    rare = [event for event in result.events if counts[event.kind] <= RARE]
    return {"total": len(result.events),
            "kinds": [{"kind": kind, "count": count} for kind, count in counts.most_common()],
            "notable": [{"seq": e.seq, "at": e.at, "kind": e.kind, "message_id": e.message_id,
                         "reason": e.reason} for e in rare[-MAX_LISTED:]]}
