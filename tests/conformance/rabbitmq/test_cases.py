"""One test per conformance case: the model must show what a real RabbitMQ shows.

The real side of every case runs once per session, side by side (``sides.run_all_real``);
each test then runs its case on the model and compares. Without a node the tests skip with
the reason, except under ``CI=true``, where a missing node is a failure: CI must never pass
by comparing nothing.
"""

from __future__ import annotations

import os

import pytest

from . import CASES
from .harness import Case, compare
from .node import NodeUnavailable, running_node
from .sides import Obs, run_all_real, run_model

pytestmark = pytest.mark.rabbitmq_node


@pytest.fixture(scope="session")
def real_observations() -> dict[str, Obs]:
    try:
        url = running_node()
    except NodeUnavailable as error:
        if os.environ.get("CI") == "true":
            pytest.fail(f"CI=true and no RabbitMQ node to compare with: {error}")
        pytest.skip(f"no RabbitMQ node to compare with (set MQLAB_TEST_RABBITMQ_URL or "
                    f"install rabbitmq-server): {error}")
    return run_all_real(CASES, url)


# The first test also starts the node and runs every real case: allow for it.
@pytest.mark.timeout(240)
@pytest.mark.parametrize("case", CASES, ids=lambda case: case.name)
def test_model_agrees_with_rabbitmq(case: Case, real_observations: dict[str, Obs]) -> None:
    verdict, detail = compare(case, real_observations[case.name], run_model(case))
    assert verdict != "disagree", detail
