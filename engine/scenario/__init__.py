"""Scenarios, engine side: a validated scenario dict in, a played simulation and its result
out (no file I/O here; ``mqlab.scenarios`` reads and validates the files).

``run(spec, seed=None, until=None, listeners=())`` -> ``Result`` (``summary``, ``outcomes``,
``ok``); ``Run`` keeps the simulation and the apps for step-by-step use;
``references.check(spec)`` finds names used but never defined; ``budget.check(spec, limits)``
the places over a room's caps; ``Walkthrough`` plays a
scenario step by step with checkpoints.
"""

from .budget import check as check_budget
from .expectations import Outcome
from .references import check
from .runner import Result, Run, run
from .walkthrough import StepResult, Walkthrough

__all__ = ["Outcome", "Result", "Run", "StepResult", "Walkthrough", "check", "check_budget",
           "run"]
