import pytest


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(items):
    """Every test under tests/e2e/ is a browser test, and browser tests run last: sync
    Playwright keeps an event loop in the main thread for the rest of the session, which
    breaks the pytest-asyncio tests that would run after it."""
    for item in items:
        if "e2e" in item.path.parts:
            item.add_marker(pytest.mark.browser)
    items.sort(key=lambda item: item.get_closest_marker("browser") is not None)
