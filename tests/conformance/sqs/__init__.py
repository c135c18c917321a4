"""SQS conformance: each case runs against moto's server (through boto3) and ``sim.sqs``.

``report()`` starts a private moto server, runs every case on both sides and returns a
``Report``; ``test_sqs_conformance.py`` runs the same cases one test per case. Where moto
departs from AWS's documentation, the case carries AWS's documented answer (with the API
Reference page) and the model must give that; see ``cases.py``.
"""

from __future__ import annotations

from functools import lru_cache

from ..report import Report
from . import dead_letters, fifo, messages, queues, sns  # noqa: F401  (they register cases)
from .cases import CASES, Case, Outcome
from .server import moto_server, reset
from .sides import ModelSide, MotoSide

__all__ = ["CASES", "reference", "report", "run_case"]


def reference() -> str:
    from importlib.metadata import version
    return f"moto {version('moto')} server via boto3 {version('boto3')}, and AWS's API Reference"


@lru_cache(maxsize=4)
def _moto(endpoint: str) -> MotoSide:
    return MotoSide(endpoint)


def run_case(case: Case, endpoint: str) -> Outcome:
    reset(endpoint)
    return Outcome(case, case.observe(_moto(endpoint)), case.observe(ModelSide()))


def report() -> Report:
    result = Report("sqs", reference())
    with moto_server() as endpoint:
        for case in CASES:
            outcome = run_case(case, endpoint)
            result.total += 1
            if outcome.agrees:
                result.agreed += 1
            else:
                result.disagreements.append(outcome.disagreement())
            if case.moto:
                result.version_notes.append(outcome.note())
    return result
