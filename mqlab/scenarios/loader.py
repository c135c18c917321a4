"""Loading scenario files: read, parse, validate against the schema, check the references.

A scenario is found by path (``./my.json``) or by library name (``work-queue-prefetch`` for
``library/work-queue-prefetch.json``). Every problem is reported at once, each with the exact
JSON path of the culprit and what is allowed there, e.g.
``$.consumers[0].guarantee: 'exactly-once' is not allowed; allowed: 'at-most-once',
'at-least-once', 'effectively-once'``. The engine (``engine.scenario``) does no file I/O: it
receives the validated dict.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

from jsonschema import Draft202012Validator
from jsonschema.exceptions import ValidationError

from engine.limits import Limits
from engine.scenario.budget import check as check_budget
from engine.scenario.references import check as check_references

HERE = Path(__file__).resolve().parent
SCHEMA_PATH = HERE / "schema.json"
LIBRARY = HERE / "library"


class ScenarioError(Exception):
    """A scenario that cannot be used; ``problems`` lists ``(path, message)`` pairs."""

    def __init__(self, source: str, problems: list[tuple[str, str]]) -> None:
        self.source = source
        self.problems = problems
        lines = "\n".join(f"  {path}: {message}" for path, message in problems)
        super().__init__(f"{source}: {len(problems)} problem(s)\n{lines}")


@cache
def schema() -> dict[str, Any]:
    return json.loads(SCHEMA_PATH.read_text())


@cache
def _validator() -> Draft202012Validator:
    return Draft202012Validator(schema())


def library_names() -> list[str]:
    """The library's scenarios, by name, sorted."""
    return sorted(path.stem for path in LIBRARY.glob("*.json"))


def catalog() -> list[dict[str, Any]]:
    """Name, title, description and tags of each library scenario, for a picker."""
    entries = []
    for name in library_names():
        data = json.loads((LIBRARY / f"{name}.json").read_text())
        entries.append({"name": name, "title": data["title"],
                        "description": data["description"], "tags": data.get("tags", [])})
    return entries


def find(name_or_path: str) -> Path:
    """A path as given if it exists, else the library scenario of that name."""
    path = Path(name_or_path)
    if path.is_file():
        return path
    candidate = LIBRARY / f"{name_or_path.removesuffix('.json')}.json"
    if candidate.is_file():
        return candidate
    known = ", ".join(library_names())
    raise ScenarioError(name_or_path, [("$", f"no such file, and no library scenario of that"
                                         f" name; library: {known}")])


def load(name_or_path: str) -> dict[str, Any]:
    """Read, parse and validate a scenario; raises ScenarioError listing every problem."""
    path = find(name_or_path)
    try:
        data = json.loads(path.read_text())
    except json.JSONDecodeError as error:
        raise ScenarioError(str(path), [(
            "$", f"not valid JSON: {error.msg} at line {error.lineno}, column {error.colno}")]
        ) from None
    validate(data, source=str(path))
    return data


def validate(data: Any, source: str = "scenario", limits: Limits | None = None) -> None:
    """Schema first (structure, types, allowed values), then references between names and
    the room's caps (``room_limits()`` unless ``limits`` is given)."""
    problems = problems_in(data, limits)
    if problems:
        raise ScenarioError(source, problems)


def problems_in(data: Any, limits: Limits | None = None) -> list[tuple[str, str]]:
    errors = sorted(_validator().iter_errors(data), key=lambda e: list(map(str, e.path)))
    if errors:
        # A dict keeps the first of equal problems in order, in linear time: a list's ``in``
        # made a file with thousands of problems take minutes.
        return list(dict.fromkeys(problem for error in errors
                                  for problem in explain(error, data)))
    if limits is None:
        from mqlab.limits import room_limits  # the settings are read when first needed
        limits = room_limits()
    return check_references(data) + check_budget(data, limits)


# -- turning jsonschema's errors into "path: what is allowed" --------------------------------
def explain(error: ValidationError, data: Any) -> list[tuple[str, str]]:
    if error.validator in ("allOf", "anyOf") and error.context:
        return [problem for sub in error.context for problem in explain(sub, data)]
    path = error.json_path
    validator, expected = error.validator, error.validator_value
    if validator == "additionalProperties":
        allowed = sorted(error.schema.get("properties", {}))
        extra = sorted(set(error.instance) - set(allowed))
        return [(f"{path}.{name}", f"unknown property {name!r}; allowed here: "
                 f"{', '.join(allowed)}") for name in extra]
    if validator == "required":
        missing = error.message.split("'")[1]
        return [(f"{path}.{missing}", f"required property {missing!r} is missing")]
    if validator == "dependentRequired":
        missing, given = error.message.split("'")[1::2][:2]
        return [(f"{path}.{missing}", f"required property {missing!r} is missing (needed"
                 f" when {given!r} is given)")]
    if error.schema is False:
        return _forbidden(error, data)
    if validator in ("enum", "const"):
        allowed = expected if validator == "enum" else [expected]
        return [(path, f"{error.instance!r} is not allowed; allowed: "
                 f"{', '.join(repr(a) for a in allowed)}")]
    if validator == "type":
        types = expected if isinstance(expected, list) else [expected]
        return [(path, f"{error.instance!r} is not of type {' or '.join(types)}")]
    if validator == "oneOf":
        return [(path, f"{_short(error.instance)} matches none of the allowed forms: "
                 f"{_forms(expected)}")]
    if validator in ("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum",
                     "minLength", "maxLength", "minItems", "maxItems", "pattern"):
        return [(path, _bound(validator, expected, error.instance))]
    return [(path, error.message)]


def _walk(root: Any, steps: Any) -> Any:
    for step in steps:
        root = root[step]
    return root


def _walk_schema(steps: Any) -> Any:
    """Follow a schema path through the schema, resolving local ``$ref``s on the way."""
    node: Any = schema()
    for step in steps:
        while isinstance(node, dict) and "$ref" in node and step not in node:
            node = _walk(schema(), node["$ref"].removeprefix("#/").split("/"))
        node = node[step]
    return node


def _forbidden(error: ValidationError, data: Any) -> list[tuple[str, str]]:
    """A property the schema forbids (``false``) for this kind of object: name it and say
    which broker (or action) it does not apply to."""
    owner = _walk(data, error.absolute_path)
    forbidding = _walk_schema(error.absolute_schema_path)
    names = [name for name, rule in forbidding.items()
             if rule is False and name in owner and owner[name] == error.instance]
    context = next((f"{field} is {owner[field]!r}" for field in ("broker", "do")
                    if field in owner), "this object")
    return [(f"{error.json_path}.{name}", f"{name!r} does not apply when {context}")
            for name in names]


def _short(value: Any) -> str:
    text = json.dumps(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _forms(alternatives: list[dict[str, Any]]) -> str:
    forms = []
    for option in alternatives:
        if option.get("type") == "number":
            forms.append("a number")
            continue
        kind = option.get("properties", {}).get("kind", {}).get("const")
        fields = ", ".join(option.get("required", []))
        if kind:
            forms.append(f"{{kind: {kind!r}, {fields.replace('kind, ', '')}}}")
        else:
            forms.append(option.get("type", "object") + (f" with {fields}" if fields else ""))
    return "; ".join(forms)


def _bound(validator: str, limit: Any, value: Any) -> str:
    words = {
        "minimum": f"must be >= {limit}", "maximum": f"must be <= {limit}",
        "exclusiveMinimum": f"must be > {limit}", "exclusiveMaximum": f"must be < {limit}",
        "minLength": f"must have at least {limit} character(s)",
        "maxLength": f"must have at most {limit} characters",
        "minItems": f"must have at least {limit} item(s)",
        "maxItems": f"must have at most {limit} items",
        "pattern": f"must match {limit} (letters, digits and . _ : / -)",
    }
    return f"{_short(value)} {words[validator]}"
