"""One test per SQS conformance case: moto's answer (or AWS's documented one) equals the
model's. moto is a test dependency: a missing one fails here rather than skipping."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.conformance.sqs import CASES, run_case
from tests.conformance.sqs.server import moto_server


@pytest.fixture(scope="session")
def moto_endpoint() -> Iterator[str]:
    with moto_server() as endpoint:
        yield endpoint


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_case(case, moto_endpoint):
    outcome = run_case(case, moto_endpoint)
    assert outcome.model == outcome.expected, outcome.disagreement()
