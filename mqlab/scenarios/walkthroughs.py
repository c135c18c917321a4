"""Loading walkthrough files (``walkthroughs/*.json``): the walkthrough schema, then the step
actions and checkpoints as scenario timeline actions and expectations.

The steps' actions and checkpoints are checked by the scenario schema and reference checks
themselves: they are laid out as one scenario (actions as its timeline, checkpoints as its
expectations) and each problem's path is mapped back to the step
(``$.timeline[3].consumer`` becomes ``$.steps[1].actions[0].consumer``). An inline scenario's
problems keep their path under ``$.scenario``.
"""

from __future__ import annotations

import copy
import json
import re
from functools import cache
from pathlib import Path
from typing import Any

from jsonschema import Draft202012Validator

from .loader import HERE, ScenarioError, explain, load, problems_in

WALKTHROUGHS = HERE / "walkthroughs"
WALKTHROUGH_SCHEMA = HERE / "walkthrough.schema.json"


@cache
def walkthrough_schema() -> dict[str, Any]:
    return json.loads(WALKTHROUGH_SCHEMA.read_text())


def walkthrough_names() -> list[str]:
    return sorted(path.stem for path in WALKTHROUGHS.glob("*.json"))


def load_walkthrough(name_or_path: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """The walkthrough and its scenario, both validated; raises ScenarioError."""
    path = Path(name_or_path)
    if not path.is_file():
        path = WALKTHROUGHS / f"{name_or_path.removesuffix('.json')}.json"
    if not path.is_file():
        known = ", ".join(walkthrough_names())
        raise ScenarioError(name_or_path, [("$", "no such file, and no walkthrough of that"
                                            f" name; walkthroughs: {known}")])
    try:
        data = json.loads(path.read_text())
    except json.JSONDecodeError as error:
        raise ScenarioError(str(path), [("$", f"not valid JSON: {error.msg} at line"
                                         f" {error.lineno}, column {error.colno}")]) from None
    problems, scenario = walkthrough_problems(data)
    if problems:
        raise ScenarioError(str(path), problems)
    assert scenario is not None
    return data, scenario


def walkthrough_problems(data: Any) -> tuple[list[tuple[str, str]], dict[str, Any] | None]:
    """Every problem of a walkthrough (empty when fine), and its scenario when it has one."""
    validator = Draft202012Validator(walkthrough_schema())
    problems: list[tuple[str, str]] = []
    for error in sorted(validator.iter_errors(data), key=lambda e: list(map(str, e.path))):
        problems += [p for p in explain(error, data) if p not in problems]
    if problems:
        return problems, None
    scenario, problems = _scenario(data["scenario"])
    if scenario is None:
        return problems, None
    problems += _predictions(data["steps"])
    problems += _steps_as_scenario(data["steps"], scenario)
    return problems, scenario


def _scenario(named: str | dict[str, Any]) -> tuple[dict[str, Any] | None, list[Any]]:
    if isinstance(named, str):
        try:
            return load(named), []
        except ScenarioError as error:
            return None, [("$.scenario", message) for _, message in error.problems]
    problems = [(f"$.scenario{path[1:]}", message) for path, message in problems_in(named)]
    return (None, problems) if problems else (named, [])


def _predictions(steps: list[dict[str, Any]]) -> list[tuple[str, str]]:
    problems = []
    for index, step in enumerate(steps):
        predict = step.get("predict")
        if predict is not None and predict["answer"] >= len(predict["choices"]):
            problems.append((f"$.steps[{index}].predict.answer", f"{predict['answer']} is not"
                             f" a choice; allowed: 0 to {len(predict['choices']) - 1}"))
        for number, action in enumerate(step.get("actions", ())):
            at = action.get("at")
            if isinstance(at, int | float) and at > step["run_for"]:
                problems.append((f"$.steps[{index}].actions[{number}].at", f"{at:g} is after"
                                 f" the end of the step (run_for {step['run_for']:g})"))
        for number, checkpoint in enumerate(step.get("checkpoints", ())):
            if "at" in checkpoint:
                problems.append((f"$.steps[{index}].checkpoints[{number}].at", "checkpoints"
                                 " are checked at the end of their step; remove 'at'"))
    return problems


def _steps_as_scenario(steps: list[dict[str, Any]],
                       scenario: dict[str, Any]) -> list[tuple[str, str]]:
    """Check the steps' actions and checkpoints as one scenario's timeline and expectations,
    and map each problem's path back to its step."""
    combined = copy.deepcopy(scenario)
    timeline: list[str] = []
    expect: list[str] = []
    combined["timeline"], combined["expect"] = [], []
    total = 0.0
    for index, step in enumerate(steps):
        for number, action in enumerate(step.get("actions", ())):
            combined["timeline"].append(action)
            timeline.append(f"$.steps[{index}].actions[{number}]")
        for number, checkpoint in enumerate(step.get("checkpoints", ())):
            combined["expect"].append({k: v for k, v in checkpoint.items() if k != "at"})
            expect.append(f"$.steps[{index}].checkpoints[{number}]")
        total += step["run_for"]
    # Step times are relative; the whole walkthrough is as long as its steps together.
    combined["duration"] = max(total, scenario["duration"], 1)
    mapped = []
    for path, message in problems_in(combined):
        match = re.match(r"^\$\.(timeline|expect)\[(\d+)\]", path)
        if match is None:
            continue  # the scenario itself was valid on its own
        places = timeline if match.group(1) == "timeline" else expect
        mapped.append((places[int(match.group(2))] + path[match.end():], message))
    return mapped
