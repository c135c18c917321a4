"""Commands a room accepts, per broker: one registry, one validation path.

A broker plugs into the playground by adding one module here, ``mqlab/commands/<broker>.py``,
that defines ``KIT``: a ``BrokerKit`` naming the broker, how to build its per-room ``Lab``
(the channels and simulated applications the commands drive), its commands and its presets.
Nothing else in ``mqlab/`` or the templates knows a broker: forms are drawn from
``describe()`` and every command, from an htmx form or the socket, goes through
``BrokerKit.parse`` and ``Command.run``.

A command is declared with its fields (name, kind, whether required, choices, help). Values
arrive as form strings or JSON values; ``Field.parse`` turns either into a Python value or
raises ``ArgumentError`` naming the field and saying what is allowed.
"""

from __future__ import annotations

import importlib
import json
import math
import pkgutil
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import cache
from typing import Any, Literal

from mqlab import wire

#: Names a form offers at most: a room with 2,000 queues must not send every viewer a page
#: listing them all after each change (any name can still be typed).
MAX_SUGGESTIONS = 50
FieldKind = Literal["text", "int", "float", "bool", "choice", "json", "textarea"]
_TRUE = {"true", "on", "1", "yes"}
_FALSE = {"false", "off", "0", "no", ""}


class Said(str):
    """A command's answer that carries a warning: accepted, but not doing what it looks like
    (a producer whose every message is unroutable). The room shows it amber."""

    warning: str | None = None


def warned(message: str, warning: str | None) -> str:
    said = Said(message)
    said.warning = warning
    return said


class ArgumentError(Exception):
    """A command argument is missing or has a value the command cannot take."""

    def __init__(self, field: str | None, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message


@dataclass(frozen=True)
class Field:
    name: str
    label: str
    kind: FieldKind = "text"
    required: bool = False
    default: Any = None
    #: Fixed choices as (value, label) pairs, for kind "choice".
    choices: tuple[tuple[str, str], ...] | None = None
    #: Names a form may offer from the room's state (any value is still accepted).
    suggest: Callable[[Any], list[str]] | None = None
    help: str = ""
    placeholder: str = ""
    minimum: float | None = None
    maximum: float | None = None
    #: Text longer than this is refused: a lesson never needs more, and rooms share memory.
    max_length: int = 10_000
    #: The form's starting value from the room's state (a routing key that routes in this
    #: preset); ``default`` is still what a blank value means.
    prefill: Callable[[Any], Any] | None = None

    def describe(self, lab: Any) -> dict[str, Any]:
        """The field as the templates render it (see the web contract). A required field
        with one possible value starts with it."""
        default = self.default
        suggestions = (self.suggest(lab)[:MAX_SUGGESTIONS]
                       if self.suggest and lab is not None else [])
        if self.prefill is not None and lab is not None:
            default = self.prefill(lab)
        elif self.required and default in (None, "") and len(suggestions) == 1:
            default = suggestions[0]
        if self.kind == "json" and default is not None:
            default = json.dumps(default)
        return {
            "name": self.name, "label": self.label, "kind": self.kind,
            "required": self.required, "default": "" if default is None else default,
            "choices": [list(pair) for pair in self.choices] if self.choices else None,
            "suggestions": suggestions,
            "help": self.help, "placeholder": self.placeholder,
        }

    def parse(self, raw: Any) -> Any:
        """A form string or JSON value -> the Python value; ``None`` means "not given"."""
        if raw is None or (isinstance(raw, str) and raw.strip() == "" and self.kind != "bool"):
            if self.required:
                raise ArgumentError(self.name, f"{self.label} is required")
            return self.default
        parse = getattr(self, f"_parse_{self.kind}")
        return parse(raw)

    def _parse_text(self, raw: Any) -> str:
        if not isinstance(raw, str):
            raise ArgumentError(self.name, f"{self.label} must be text; got {raw!r}")
        if len(raw) > self.max_length:
            raise ArgumentError(self.name, f"{self.label} is {len(raw)} characters long; at "
                                f"most {self.max_length}")
        try:
            raw.encode()
        except UnicodeEncodeError:  # a lone surrogate ("\ud800") from JSON
            raise ArgumentError(self.name, f"{self.label} is not valid Unicode text") from None
        return raw

    _parse_textarea = _parse_text

    def _parse_int(self, raw: Any) -> int:
        value = _number(raw, int)
        if value is None:
            raise ArgumentError(self.name, f"{self.label} must be a whole number; got {raw!r}")
        return self._in_range(value)

    def _parse_float(self, raw: Any) -> float:
        value = _number(raw, float)
        if value is None or value != value or value in (float("inf"), float("-inf")):
            raise ArgumentError(self.name, f"{self.label} must be a number; got {raw!r}")
        return self._in_range(value)

    def _in_range(self, value: Any) -> Any:
        if self.minimum is not None and value < self.minimum:
            raise ArgumentError(self.name, f"{self.label} must be at least {self.minimum:g}; "
                                f"got {value}")
        if self.maximum is not None and value > self.maximum:
            raise ArgumentError(self.name, f"{self.label} must be at most {self.maximum:g}; "
                                f"got {value}")
        return value

    def _parse_bool(self, raw: Any) -> bool:
        if isinstance(raw, bool):
            return raw
        if isinstance(raw, str) and raw.strip().lower() in _TRUE | _FALSE:
            return raw.strip().lower() in _TRUE
        raise ArgumentError(self.name, f"{self.label} must be true or false; got {raw!r}")

    def _parse_choice(self, raw: Any) -> str:
        allowed = [value for value, _ in self.choices or ()]
        if raw not in allowed:
            raise ArgumentError(self.name, f"{self.label} must be one of "
                                f"{', '.join(allowed)}; got {raw!r}")
        return raw

    def _parse_json(self, raw: Any) -> dict[str, Any]:
        value = raw
        if isinstance(raw, str):
            try:
                value = wire.loads(raw)
            except ValueError as error:
                raise ArgumentError(self.name, f"{self.label} is not valid JSON: "
                                    f"{error}") from None
        if not isinstance(value, dict):
            raise ArgumentError(self.name, f"{self.label} must be a JSON object such as "
                                '{"key": "value"}')
        bad = _non_finite(value)
        if bad is not None:
            # Python reads 1e400 as infinity, which no JSON holds: the room's log and frames
            # could not carry it (a saved room would fail to save).
            what = "not a number" if bad != bad else "too large for a 64-bit float"
            raise ArgumentError(self.name, f"{self.label} holds a number {what}; use a "
                                "smaller number or a string")
        return value


def _non_finite(value: Any) -> float | None:
    """The first infinite or NaN float anywhere in a JSON value, else None."""
    if isinstance(value, float):
        return None if math.isfinite(value) else value
    items = value.values() if isinstance(value, dict) else value if isinstance(value, list) else ()
    for item in items:
        found = _non_finite(item)
        if found is not None:
            return found
    return None


def _number(raw: Any, kind: type) -> Any:
    if isinstance(raw, bool):
        return None
    if isinstance(raw, int | float):
        if kind is int and isinstance(raw, float):
            return int(raw) if raw.is_integer() else None
        return kind(raw)
    if isinstance(raw, str):
        try:
            return kind(raw.strip())
        except ValueError:
            return None
    return None


@dataclass(frozen=True)
class Command:
    """One thing a user can do; ``run(lab, **args)`` returns a short message for the user."""

    name: str
    label: str
    group: str
    run: Callable[..., str]
    fields: tuple[Field, ...] = ()
    help: str = ""
    danger: bool = False
    #: The form starts afresh once this succeeds: a declaration's settings (a queue's TTL...)
    #: must not carry over unseen to the next one, as a publish's may.
    fresh: bool = False
    #: Not offered on the page: what real clients' requests run as (``api``).
    hidden: bool = False

    def parse(self, raw_args: dict[str, Any]) -> dict[str, Any]:
        known = {spec.name for spec in self.fields}
        unknown = sorted(set(raw_args) - known)
        if unknown:
            takes = ", ".join(spec.name for spec in self.fields) or "no arguments"
            raise ArgumentError(unknown[0], f"{self.name} has no argument {unknown[0]!r}; it "
                                f"takes {takes}")
        return {spec.name: spec.parse(raw_args.get(spec.name)) for spec in self.fields}

    def describe(self, lab: Any) -> dict[str, Any]:
        return {"name": self.name, "label": self.label, "help": self.help,
                "danger": self.danger, "fresh": self.fresh,
                "fields": [spec.describe(lab) for spec in self.fields]}


@dataclass(frozen=True)
class Preset:
    """A starting point: commands applied at virtual time 0 to an empty room."""

    broker: str
    slug: str
    title: str
    summary: str
    steps: tuple[tuple[str, dict[str, Any]], ...] = ()

    def describe(self) -> dict[str, str]:
        return {"broker": self.broker, "slug": self.slug, "title": self.title,
                "summary": self.summary}


@dataclass(frozen=True)
class BrokerKit:
    broker: str
    #: Builds the room's per-broker state from a fresh ``engine.Simulation``.
    new_lab: Callable[[Any], Any]
    commands: tuple[Command, ...]
    presets: tuple[Preset, ...] = ()
    #: The order of the command groups on the page (default: as the commands first use them).
    groups: tuple[str, ...] = ()

    def command(self, name: str) -> Command:
        for command in self.commands:
            if command.name == name:
                return command
        known = ", ".join(command.name for command in self.commands)
        raise UnknownCommand(f"unknown command {name!r} for {self.broker}; known: {known}")

    def command_groups(self, lab: Any) -> list[dict[str, Any]]:
        order = self.groups or tuple(dict.fromkeys(command.group for command in self.commands))
        return [{"name": group, "commands": [command.describe(lab) for command in self.commands
                                             if command.group == group and not command.hidden]}
                for group in order]


class UnknownCommand(Exception):
    pass


def brokers() -> list[str]:
    """Every broker with a command module, in name order."""
    return sorted(info.name for info in pkgutil.iter_modules(__path__)
                  if not info.name.startswith("_"))


@cache
def kit(broker: str) -> BrokerKit:
    if broker not in brokers():
        raise LookupError(f"no broker {broker!r}; known: {', '.join(brokers())}")
    return importlib.import_module(f"{__name__}.{broker}").KIT


def all_kits() -> Iterable[BrokerKit]:
    return (kit(broker) for broker in brokers())
