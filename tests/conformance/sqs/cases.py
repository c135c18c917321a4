"""The case registry: each case is a function of a ``Side`` returning an observation.

``@case`` registers a case whose observation must be the same on moto and on the model.
``@case(aws=..., moto=..., source=...)`` registers one where moto departs from AWS's
documentation: the model must observe ``aws`` (what the cited API Reference page says), and
moto's answer is only recorded, as a note in the report.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from .sides import Side, normalise


@dataclass(frozen=True)
class Case:
    name: str
    run: Callable[[Side], Any]
    #: AWS's documented observation, where moto's differs
    aws: Any = None
    #: how moto departs, and the API Reference page saying what AWS does
    moto: str = ""
    source: str = ""

    def observe(self, side: Side) -> Any:
        return normalise(self.run(side))


CASES: list[Case] = []


def case(run: Callable[[Side], Any] | None = None, *, aws: Any = None, moto: str = "",
         source: str = "") -> Any:
    def register(function: Callable[[Side], Any]) -> Callable[[Side], Any]:
        name = function.__name__.replace("_", "-")
        if any(c.name == name for c in CASES):
            raise ValueError(f"two conformance cases are named {name}")
        CASES.append(Case(name, function, aws, moto, source))
        return function
    return register(run) if run is not None else register


@dataclass(frozen=True)
class Outcome:
    case: Case
    real: Any
    model: Any

    @property
    def expected(self) -> Any:
        """What the model must observe: AWS's documented answer where moto departs."""
        return normalise(self.case.aws) if self.case.moto else self.real

    @property
    def agrees(self) -> bool:
        return self.model == self.expected

    def disagreement(self) -> str:
        return f"{self.case.name}: real {self.expected!r} / model {self.model!r}"

    def note(self) -> str:
        if self.real == self.expected:
            return f"{self.case.name}: moto now agrees with AWS ({self.case.source})"
        return (f"{self.case.name}: moto answers {self.real!r}; AWS documents "
                f"{self.case.aws!r} ({self.case.moto}; {self.case.source}) and mqlab follows AWS")
