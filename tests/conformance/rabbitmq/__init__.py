"""RabbitMQ conformance: every case runs against a real node (pika) and ``sim.rabbitmq``.

``report()`` starts (or reuses, ``MQLAB_TEST_RABBITMQ_URL``) a node, runs every case on both
sides and counts agreements; ``test_cases.py`` runs the same cases one pytest test each.
Cases live in the ``cases_*`` modules, the adapter in ``harness.py`` and ``sides.py``.
"""

from __future__ import annotations

from tests.conformance.report import Report

from . import (  # noqa: F401 - each module registers its cases
    cases_client,
    cases_consuming,
    cases_declare,
    cases_limits,
    cases_routing,
    cases_ttl,
)
from .harness import CASES, compare

__all__ = ["CASES", "report"]


def report() -> Report:
    import pika

    from .node import NodeUnavailable, running_node
    from .sides import run_all_real, run_model, server_version

    result = Report("rabbitmq", reference=f"no RabbitMQ node, pika {pika.__version__}",
                    total=len(CASES))
    try:
        url = running_node()
    except NodeUnavailable as error:
        result.disagreements.append(f"(all cases): no node to compare with: {error}")
        return result
    result.reference = f"RabbitMQ {server_version(url)} via pika {pika.__version__}"
    real = run_all_real(CASES, url)
    for case in CASES:
        verdict, detail = compare(case, real[case.name], run_model(case))
        if verdict == "disagree":
            result.disagreements.append(f"{case.name}: {detail}")
            continue
        result.agreed += 1
        if verdict == "version":
            result.version_notes.append(f"{case.name}: {detail}")
    return result
