import os

import pytest
from django.conf import settings
from hypothesis import settings as hypothesis_settings

# Test servers (in this process, forked, or started as commands) listen for AMQP only where a
# test asks, on a free port: never on 5672, which another server may hold.
os.environ.setdefault("MQLAB_AMQP_PORT", "0")
settings.MQLAB_AMQP_PORT = int(os.environ["MQLAB_AMQP_PORT"])
# Likewise Kafka (mqlab.kafka): a test that wants the listener gives its server free ports.
os.environ.setdefault("MQLAB_KAFKA_PORT", "0")
settings.MQLAB_KAFKA_PORT = int(os.environ["MQLAB_KAFKA_PORT"])
# Hypothesis's per-example deadline (200 ms) is a timed assertion: on a loaded 2-core machine
# a correct example can take longer. Speed lives in the benchmarks, so no test has a deadline.
hypothesis_settings.register_profile("mqlab", deadline=None)
hypothesis_settings.load_profile("mqlab")


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(items):
    """Every test under tests/e2e/ is a browser test, and browser tests run last: sync
    Playwright keeps an event loop in the main thread for the rest of the session, which
    breaks the pytest-asyncio tests that would run after it."""
    for item in items:
        if "e2e" in item.path.parts:
            item.add_marker(pytest.mark.browser)
    items.sort(key=lambda item: item.get_closest_marker("browser") is not None)


@pytest.fixture(autouse=True)
def _work_budget_for_exact_pacing(settings):
    """A room's engine work per frame or command is capped in wall time (30 ms by default),
    so on a slow or busy machine a tick may end short of its target. Tests that check what a
    tick or a command leads to want the whole of it; the budget's own tests lower it."""
    settings.MQLAB_ROOM_WORK_BUDGET_SECONDS = 60.0
    # Likewise a room's share of the CPU: hypothesis runs rooms far harder than a person.
    settings.MQLAB_ROOM_CPU_SHARE = 1000.0
    settings.MQLAB_ROOM_CPU_BURST_SECONDS = 1000.0
