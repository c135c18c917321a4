"""SNS subscription filter policies: which published messages a subscription receives.

A filter policy is a JSON object. Each key names a message attribute (scope
``MessageAttributes``, the default) or a property of the JSON message body (scope
``MessageBody``, where objects nest); each value is an array of conditions. A message matches
when **every** key matches (AND across keys) and, for a key, **any** condition of its array
matches (OR across values). Sources: Amazon SNS Developer Guide, "Amazon SNS subscription
filter policies", "Filter policy scope", "Filter policy constraints in Amazon SNS", and the
pages of "Amazon SNS message filtering operators":

- Exact string: ``"color": ["red"]``, case-sensitive ("String matching").
- Numbers: ``"price": [100]`` (exact) or ``{"numeric": [">", 0, "<=", 150]}`` (a range);
  numbers between -10^9 and 10^9 with five digits after the point ("Numeric value matching").
- ``{"prefix": "ord"}``, ``{"suffix": ".png"}``, ``{"equals-ignore-case": "Red"}``.
- ``{"anything-but": ["red", "blue"]}`` (also one value, numbers, or ``{"prefix": ...}``):
  matches when the key is present with another value ("anything-but matching").
- ``{"exists": true}`` / ``{"exists": false}``: the key is present / absent ("Key matching").
- ``"$or": [{...}, {...}]`` at any level: either sub-policy ("OR logic").
- A key absent from the message matches only ``{"exists": false}``.
- Attributes: only String, String.Array and Number attributes are compared; a Binary
  attribute counts as absent. A String.Array holds a JSON array and matches when any
  element does. Body: an array property matches when any element does; a message body that
  is not a JSON object matches no body policy.
- Constraints: at most 5 keys, and the product of the array sizes (the "combinations") at
  most 150 ("Filter policy constraints"); attribute policies do not nest.

Not modelled: IP address (``cidr``) matching and wildcard matching.
"""

from __future__ import annotations

import json
import math
from typing import Any

from .sns_errors import InvalidParameterException

MAX_KEYS = 5
MAX_COMBINATIONS = 150
NUMERIC_LIMIT = 1e9
_OPERATORS = frozenset({"<", "<=", "=", ">", ">="})
_MISSING = object()


def parse(text: object, scope: str) -> dict[str, Any]:
    """The checked policy; ``InvalidParameterException`` names what is wrong."""
    if not isinstance(text, str):
        raise _invalid("give the policy as a JSON string")
    try:
        policy = json.loads(text)
    except ValueError:
        raise _invalid("it is not valid JSON") from None
    if not isinstance(policy, dict):
        raise _invalid("the policy must be a JSON object")
    keys, combinations = _check_object(policy, nested=scope == "MessageBody", depth=0)
    if keys > MAX_KEYS:
        raise _invalid(f"it has {keys} keys; a filter policy can have at most {MAX_KEYS}")
    if combinations > MAX_COMBINATIONS:
        raise _invalid(f"its values combine {combinations} ways; at most {MAX_COMBINATIONS} "
                       "(the product of the number of values in each array)")
    return policy


def _invalid(why: str) -> InvalidParameterException:
    return InvalidParameterException(f"Invalid parameter: FilterPolicy: {why}")


def _check_object(policy: dict[str, Any], nested: bool, depth: int) -> tuple[int, int]:
    """(keys, combinations) of a policy object, after checking each condition."""
    if not policy:
        raise _invalid("an empty object matches nothing: give at least one key")
    keys, combinations = 0, 1
    for key, value in policy.items():
        if key == "$or":
            if not isinstance(value, list) or len(value) < 2 or not all(
                    isinstance(v, dict) for v in value):
                raise _invalid("\"$or\" takes an array of at least two policy objects")
            counted = [_check_object(v, nested, depth) for v in value]
            keys += max(k for k, _ in counted)
            combinations *= sum(c for _, c in counted)
        elif isinstance(value, dict):
            if not nested or depth >= 4:
                raise _invalid(f"key {key!r}: a message-attribute policy does not nest"
                               if not nested else "policies nest at most 5 levels")
            k, c = _check_object(value, nested, depth + 1)
            keys += k
            combinations *= c
        elif isinstance(value, list) and value:
            for condition in value:
                _check_condition(key, condition)
            keys += 1
            combinations *= len(value)
        else:
            raise _invalid(f"key {key!r} needs a non-empty array of conditions")
    return keys, combinations


def _check_condition(key: str, condition: object) -> None:
    if condition is None or isinstance(condition, str | bool):
        return
    if isinstance(condition, int | float):
        _check_number(key, condition)
        return
    if not isinstance(condition, dict) or len(condition) != 1:
        raise _invalid(f"key {key!r}: a condition is a string, a number, or one operator "
                       "object such as {\"prefix\": \"ab\"}")
    (operator, operand), = condition.items()
    if operator in ("prefix", "suffix", "equals-ignore-case"):
        if not isinstance(operand, str) or not operand:
            raise _invalid(f"key {key!r}: {operator} takes a non-empty string")
    elif operator == "exists":
        if not isinstance(operand, bool):
            raise _invalid(f"key {key!r}: exists takes true or false")
    elif operator == "anything-but":
        values = operand if isinstance(operand, list) else [operand]
        if isinstance(operand, dict):
            if set(operand) - {"prefix", "suffix"} or not all(
                    isinstance(v, str) and v for v in operand.values()):
                raise _invalid(f"key {key!r}: anything-but takes values or a prefix/suffix")
        elif not values or not all(isinstance(v, str | int | float) and not isinstance(v, bool)
                                   for v in values):
            raise _invalid(f"key {key!r}: anything-but takes strings or numbers")
    elif operator == "numeric":
        _check_range(key, operand)
    else:
        raise _invalid(f"key {key!r}: unknown operator {operator!r} (modelled: exact values, "
                       "numeric, prefix, suffix, equals-ignore-case, anything-but, exists)")


def _check_number(key: str, value: float) -> None:
    if not math.isfinite(value) or abs(value) > NUMERIC_LIMIT:
        raise _invalid(f"key {key!r}: numbers range from -10^9 to 10^9")


def _check_range(key: str, operand: object) -> None:
    if not isinstance(operand, list) or len(operand) not in (2, 4):
        raise _invalid(f"key {key!r}: numeric takes [op, value] or [op, value, op, value]")
    pairs = [(operand[i], operand[i + 1]) for i in range(0, len(operand), 2)]
    for op, value in pairs:
        if op not in _OPERATORS or isinstance(value, bool) or not isinstance(
                value, int | float):
            raise _invalid(f"key {key!r}: numeric operators are =, <, <=, >, >= each "
                           "followed by a number")
        _check_number(key, value)
    if len(pairs) == 2:
        (low_op, low), (high_op, high) = pairs
        if low_op not in (">", ">=") or high_op not in ("<", "<=") or not low < high:
            raise _invalid(f"key {key!r}: a numeric range is a lower bound (> or >=) then a "
                           "greater upper bound (< or <=)")


# -- matching ------------------------------------------------------------------------------
def matches_attributes(policy: dict[str, Any], attributes: dict[str, dict[str, Any]]) -> bool:
    """Scope MessageAttributes: the published message's attributes, as SNS takes them."""
    values: dict[str, Any] = {}
    for name, attribute in attributes.items():
        data_type = attribute.get("DataType", "")
        raw = attribute.get("StringValue")
        if data_type.startswith("Binary") or raw is None:
            continue  # "Amazon SNS ignores message attributes with the Binary data type"
        if data_type == "String.Array":
            try:
                values[name] = json.loads(raw)
            except ValueError:
                continue
        elif data_type.startswith("Number"):
            values[name] = _number(raw)
        else:
            values[name] = raw
    return _matches(policy, values)


def matches_body(policy: dict[str, Any], body: str) -> bool:
    """Scope MessageBody: the message must be a JSON object."""
    try:
        document = json.loads(body)
    except ValueError:
        return False
    return isinstance(document, dict) and _matches(policy, document)


def _number(text: str) -> float | str:
    try:
        return float(text)
    except ValueError:
        return text


def _matches(policy: dict[str, Any], document: dict[str, Any]) -> bool:
    for key, rule in policy.items():
        if key == "$or":
            if not any(_matches(branch, document) for branch in rule):
                return False
            continue
        value = document.get(key, _MISSING)
        if isinstance(rule, dict):
            if not isinstance(value, dict) or not _matches(rule, value):
                return False
        elif not any(_condition(condition, value) for condition in rule):
            return False
    return True


def _condition(condition: Any, value: Any) -> bool:
    if isinstance(condition, dict) and "exists" in condition:
        return (value is not _MISSING) is condition["exists"]
    if value is _MISSING:
        return False
    if isinstance(value, list):
        return any(_one(condition, item) for item in value)
    return _one(condition, value)


def _one(condition: Any, value: Any) -> bool:
    if not isinstance(condition, dict):
        return _equal(condition, value)
    (operator, operand), = condition.items()
    if operator == "prefix":
        return isinstance(value, str) and value.startswith(operand)
    if operator == "suffix":
        return isinstance(value, str) and value.endswith(operand)
    if operator == "equals-ignore-case":
        return isinstance(value, str) and value.lower() == operand.lower()
    if operator == "numeric":
        return _in_range(operand, value)
    if operator == "anything-but":
        if isinstance(operand, dict):
            if not isinstance(value, str):
                return True
            return not (value.startswith(operand.get("prefix", "\0"))
                        or value.endswith(operand.get("suffix", "\0")))
        excluded = operand if isinstance(operand, list) else [operand]
        return not any(_equal(item, value) for item in excluded)
    return False


def _equal(condition: Any, value: Any) -> bool:
    if isinstance(condition, bool) or isinstance(value, bool):
        return condition is value
    if isinstance(condition, int | float):
        return isinstance(value, int | float) and round(value, 5) == round(condition, 5)
    return condition == value


def _in_range(operand: list[Any], value: Any) -> bool:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return False
    for i in range(0, len(operand), 2):
        op, bound = operand[i], operand[i + 1]
        ok = {"=": value == bound, "<": value < bound, "<=": value <= bound,
              ">": value > bound, ">=": value >= bound}[op]
        if not ok:
            return False
    return True
