"""Challenges: a broken system to fix by turning a few knobs, checked over several seeds.

A challenge file (``challenges/<name>.json``, ``challenge.schema.json``) holds a broken
scenario, the knobs a learner may turn, the goal (expectations), the seeds it is checked on,
a par, three hints, the explanation shown once solved and a reference solution.

A knob is a path into the scenario with a type and a range::

    {"id": "visibility", "path": "/sqs/queues/reports/attributes/VisibilityTimeout",
     "type": "integer", "min": 1, "max": 120, "as_string": true}

A path segment that meets a list picks the item with that ``name`` (or, failing that, the
item at that index). ``apply(challenge, values)`` sets the values on a copy of the scenario,
swaps its expectations for the goal and validates the result with the scenario loader, so a
fix can never build a scenario the library could not. "Changes used" counts the knobs whose
value differs from the broken one. ``check(challenge, values)`` plays the fixed scenario on
every seed and judges the goal on each; ``deadline`` bounds the wall time it may take.
"""

from __future__ import annotations

import copy
import json
import math
import time
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

from jsonschema import Draft202012Validator

from engine.events import Event
from engine.scenario import Run
from engine.scenario.expectations import Outcome

from .loader import HERE, ScenarioError, explain, problems_in

CHALLENGES = HERE / "challenges"
SCHEMA_PATH = HERE / "challenge.schema.json"
MISSING: Any = None  # an absent setting reads as null


class TimeBudgetExceeded(Exception):
    """A check ran past its wall-clock budget."""


@cache
def _validator() -> Draft202012Validator:
    return Draft202012Validator(json.loads(SCHEMA_PATH.read_text()))


def names() -> list[str]:
    return sorted(path.stem for path in CHALLENGES.glob("*.json"))


@cache
def load(name: str) -> dict[str, Any]:
    """A challenge by name (or path), validated: its file against the challenge schema, its
    knobs against its scenario, and its broken and reference scenarios with the loader."""
    path = Path(name)
    if not path.is_file():
        path = CHALLENGES / f"{name.removesuffix('.json')}.json"
        if not path.is_file():
            raise ScenarioError(name, [("$", f"no such challenge; choose one of: "
                                         f"{', '.join(names())}")])
    try:
        data = json.loads(path.read_text())
    except (json.JSONDecodeError, UnicodeDecodeError) as error:
        raise ScenarioError(str(path), [("$", f"not a JSON challenge file: {error}")]) from None
    problems = [p for error in _validator().iter_errors(data) for p in explain(error, data)]
    if problems:
        raise ScenarioError(str(path), problems)
    data = {**data, "name": path.stem}
    problems = [(f"$.knobs[{i}].path", why) for i, knob in enumerate(data["knobs"])
                if (why := _path_problem(data["scenario"], knob["path"]))]
    if not problems:
        for i, knob in enumerate(data["knobs"]):
            try:
                coerce(knob, broken_values(data)[knob["id"]])
            except ValueError as error:
                problems.append((f"$.knobs[{i}]", f"the broken value is not allowed: {error}"))
    problems += [(f"$.reference.{key}", "not a knob of this challenge")
                 for key in data["reference"] if key not in knob_ids(data)]
    if problems:
        raise ScenarioError(str(path), problems)
    broken_spec(data)  # raises when the broken scenario is invalid
    apply(data, data["reference"])
    return data


def knob_ids(challenge: dict[str, Any]) -> list[str]:
    return [knob["id"] for knob in challenge["knobs"]]


# -- paths -----------------------------------------------------------------------------------
def _child(node: Any, segment: str) -> tuple[Any, Any]:
    """(container key, child) for one segment; KeyError when there is no such place."""
    if isinstance(node, list):
        for index, item in enumerate(node):
            if isinstance(item, dict) and item.get("name") == segment:
                return index, item
        if segment.isdigit() and int(segment) < len(node):
            return int(segment), node[int(segment)]
        raise KeyError(segment)
    if isinstance(node, dict):
        return segment, node.get(segment, MISSING)
    raise KeyError(segment)


def _segments(path: str) -> list[str]:
    return path.strip("/").split("/")


def _path_problem(spec: dict[str, Any], path: str) -> str | None:
    node: Any = spec
    for segment in _segments(path)[:-1]:
        try:
            _, node = _child(node, segment)
        except KeyError:
            return f"no {segment!r} in the scenario at {path}"
        if node is MISSING:
            return f"{segment!r} is not set in the scenario ({path})"
    return None if isinstance(node, dict) else f"{path} does not lead to a setting"


def read(spec: dict[str, Any], path: str) -> Any:
    node: Any = spec
    for segment in _segments(path):
        _, node = _child(node, segment)
        if node is MISSING:
            return MISSING
    return node


def write(spec: dict[str, Any], path: str, value: Any) -> None:
    node: Any = spec
    *parents, last = _segments(path)
    for segment in parents:
        _, node = _child(node, segment)
    if value is None:
        node.pop(last, None)
    else:
        node[last] = value


# -- knob values -----------------------------------------------------------------------------
def broken_values(challenge: dict[str, Any]) -> dict[str, Any]:
    """Each knob's value in the broken scenario, as the learner sees it."""
    return values_in(challenge, challenge["scenario"])


def values_in(challenge: dict[str, Any], spec: dict[str, Any]) -> dict[str, Any]:
    """Each knob's value in ``spec`` (a fix applied to the challenge's scenario)."""
    values = {}
    for knob in challenge["knobs"]:
        raw = read(spec, knob["path"])
        values[knob["id"]] = knob.get("default") if raw is MISSING else _from_spec(knob, raw)
    return values


def _from_spec(knob: dict[str, Any], raw: Any) -> Any:
    if knob.get("as_string") and isinstance(raw, str):
        number = float(raw)
        return int(number) if knob["type"] == "integer" else number
    return raw


def coerce(knob: dict[str, Any], raw: Any) -> Any:
    """A learner's value for a knob, checked against its type and range (ValueError says
    what is allowed). Form fields arrive as strings; choices as the index or the JSON."""
    kind = knob["type"]
    if kind == "boolean":
        if isinstance(raw, str):
            if raw.lower() not in ("true", "false", "on", "off", "1", "0"):
                raise ValueError(f"{knob['label']}: say true or false")
            return raw.lower() in ("true", "on", "1")
        return bool(raw)
    if kind == "choice":
        values = [choice["value"] for choice in knob["choices"]]
        candidates = [raw] + ([_json_or_none(raw)] if isinstance(raw, str) else [])
        for candidate in candidates:
            for value in values:
                if _same(candidate, value):
                    return copy.deepcopy(value)
        if isinstance(raw, str) and raw.isdigit() and int(raw) < len(values):
            return copy.deepcopy(values[int(raw)])
        allowed = ", ".join(choice["label"] for choice in knob["choices"])
        raise ValueError(f"{knob['label']}: choose one of: {allowed}")
    try:
        number = float(raw)
    except (TypeError, ValueError):
        raise ValueError(f"{knob['label']}: give a number") from None
    if not math.isfinite(number) or not knob["min"] <= number <= knob["max"]:
        raise ValueError(f"{knob['label']}: give a number from {knob['min']:g} to"
                         f" {knob['max']:g}")
    if kind == "integer":
        if number != int(number):
            raise ValueError(f"{knob['label']}: give a whole number")
        return int(number)
    return number


def _same(a: Any, b: Any) -> bool:
    return json.dumps(a, sort_keys=True) == json.dumps(b, sort_keys=True)


def _json_or_none(text: str) -> Any:
    try:
        return json.loads(text)
    except json.JSONDecodeError:
        return None


def _to_spec(knob: dict[str, Any], value: Any) -> Any:
    if knob.get("as_string") and value is not None:
        return f"{value:g}" if isinstance(value, float) else str(value)
    return copy.deepcopy(value)


def values_for(challenge: dict[str, Any], given: dict[str, Any]) -> dict[str, Any]:
    """The broken values with the given ones over them, each checked (ValueError)."""
    knobs = {knob["id"]: knob for knob in challenge["knobs"]}
    unknown = sorted(set(given) - set(knobs))
    if unknown:
        raise ValueError(f"not a knob of this challenge: {', '.join(unknown)}; knobs:"
                         f" {', '.join(knobs)}")
    values = broken_values(challenge)
    values.update({key: coerce(knobs[key], raw) for key, raw in given.items()})
    return values


def changes(challenge: dict[str, Any], values: dict[str, Any]) -> list[str]:
    """The knobs whose value differs from the broken one."""
    broken = broken_values(challenge)
    return [key for key in knob_ids(challenge)
            if key in values and not _same(values[key], broken[key])]


def broken_spec(challenge: dict[str, Any]) -> dict[str, Any]:
    return apply(challenge, {})


def apply(challenge: dict[str, Any], given: dict[str, Any]) -> dict[str, Any]:
    """The scenario with the knobs set and the goal as its expectations, validated by the
    scenario loader (ScenarioError lists what a value broke, ValueError a value out of
    range)."""
    values = values_for(challenge, given)
    spec = copy.deepcopy(challenge["scenario"])
    for knob in challenge["knobs"]:
        write(spec, knob["path"], _to_spec(knob, values[knob["id"]]))
    spec["expect"] = copy.deepcopy(challenge["goal"])
    spec.setdefault("seed", challenge["seeds"][0])
    problems = problems_in(spec)
    if problems:
        raise ScenarioError(f"challenge {challenge.get('name', challenge['title'])}", problems)
    return spec


# -- checking --------------------------------------------------------------------------------
@dataclass
class SeedReport:
    seed: int
    outcomes: list[Outcome] = field(default_factory=list)
    error: str | None = None

    @property
    def ok(self) -> bool:
        return self.error is None and all(o.met for o in self.outcomes)

    def as_dict(self) -> dict[str, Any]:
        return {"seed": self.seed, "ok": self.ok, "error": self.error,
                "checks": [o.as_dict() for o in self.outcomes]}


@dataclass
class Report:
    challenge: str
    values: dict[str, Any]
    changed: list[str]
    par: int
    seeds: list[SeedReport]

    @property
    def ok(self) -> bool:
        return bool(self.seeds) and all(s.ok for s in self.seeds)

    def as_dict(self) -> dict[str, Any]:
        return {"challenge": self.challenge, "ok": self.ok, "values": self.values,
                "changes": len(self.changed), "changed": self.changed, "par": self.par,
                "seeds": [s.as_dict() for s in self.seeds]}


class _Budget:
    """A listener that stops a run once the wall clock passes ``deadline``."""

    def __init__(self, deadline: float | None) -> None:
        self.deadline = deadline
        self.count = 0

    def __call__(self, event: Event) -> None:
        self.count += 1
        if self.deadline is not None and self.count % 256 == 0 and \
                time.monotonic() > self.deadline:
            raise TimeBudgetExceeded


def check(challenge: dict[str, Any], given: dict[str, Any],
          budget_seconds: float | None = None) -> Report:
    """Play the scenario with ``given`` knob values on every seed and judge the goal."""
    spec = apply(challenge, given)
    values = values_for(challenge, given)
    deadline = None if budget_seconds is None else time.monotonic() + budget_seconds
    reports = []
    for seed in challenge["seeds"]:
        report = SeedReport(seed)
        try:
            report.outcomes = Run(spec, seed, [_Budget(deadline)]).play().outcomes
        except TimeBudgetExceeded:
            report.error = "not checked: the check ran out of time"
        reports.append(report)
    return Report(challenge["name"], values, changes(challenge, values), challenge["par"],
                  reports)


def catalog() -> list[dict[str, Any]]:
    """Name, title, broker, topic, level and par of each challenge, for the home page."""
    return [{"name": name, "title": c["title"], "broker": c["broker"], "topic": c["topic"],
             "level": c.get("level", "intermediate"), "par": c["par"],
             "seeds": c["seeds"], "story": c["story"]}
            for name in names() for c in [load(name)]]
