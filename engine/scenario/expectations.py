"""Expectations: the claims a scenario makes, checked against what the run measured.

``{"metric": "duplicates", "of": "billing", "op": "==", "value": 0}`` reads "billing performed
no side effect twice". Without ``at`` it is checked at the end of the run; with ``at`` at
that virtual time ("the DLQ holds 1 message by t=120").
"""

from __future__ import annotations

import operator
from dataclasses import dataclass
from typing import Any

OPERATORS = {"==": operator.eq, "!=": operator.ne, "<": operator.lt, "<=": operator.le,
             ">": operator.gt, ">=": operator.ge}


@dataclass(frozen=True)
class Outcome:
    expectation: dict[str, Any]
    actual: float
    met: bool

    def describe(self) -> str:
        e = self.expectation
        subject = f"{e['metric']}" + (f" of {e['of']}" if "of" in e else "")
        when = f" at t={e['at']:g}" if "at" in e else ""
        verdict = "met" if self.met else "NOT MET"
        return (f"{subject}{when} {e['op']} {e['value']:g}: {verdict} (actual"
                f" {self.actual:g})")

    def as_dict(self) -> dict[str, Any]:
        return {**self.expectation, "actual": self.actual, "met": self.met,
                "text": self.describe()}


def judge(expectation: dict[str, Any], actual: float) -> Outcome:
    return Outcome(expectation, actual,
                   OPERATORS[expectation["op"]](actual, expectation["value"]))
