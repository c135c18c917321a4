"""A live daphne server in a forked process, and Debian's Chromium driven by Playwright."""

import os
from functools import partial
from pathlib import Path

import pytest
from channels.testing.live import make_application, set_database_connection
from daphne.testing import DaphneProcess
from django.conf import settings
from django.contrib.staticfiles.handlers import ASGIStaticFilesHandler

from mqlab.management.commands._server import free_port, free_ports

CHROMIUM = "/usr/bin/chromium"


def _fresh_child_process():
    """Runs in the forked server before it serves (see TOOLCHAIN.md): asgiref's class-level
    executor loses its thread across fork, and channel layers must not be shared."""
    from concurrent.futures import ThreadPoolExecutor

    from asgiref.sync import SyncToAsync
    from channels.layers import channel_layers

    SyncToAsync.single_thread_executor = ThreadPoolExecutor(max_workers=1)
    channel_layers.backends.clear()
    set_database_connection()


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args, django_db_setup):
    # Depending on django_db_setup makes the test database exist before Playwright starts:
    # sync Playwright keeps an event loop running, and Django refuses to create a database
    # from a thread with a running loop (SynchronousOnlyOperation).
    return {
        **browser_type_launch_args,
        "executable_path": CHROMIUM,
        "args": ["--no-sandbox", "--headless=new", "--disable-gpu", "--disable-dev-shm-usage",
                 "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run"],
    }


@pytest.fixture(scope="session")
def live_server_url(django_db_setup, django_db_blocker):
    # The forked server's AMQP listener (issue 15) takes a free port, set before the fork.
    settings.MQLAB_AMQP_PORT = free_port()
    # So does its Kafka listener: a bootstrap port and one per simulated broker.
    settings.MQLAB_KAFKA_PORT = free_ports(6)
    settings.MQLAB_KAFKA_BROKERS = 5
    with django_db_blocker.unblock():
        process = DaphneProcess(
            "127.0.0.1",
            partial(make_application, static_wrapper=ASGIStaticFilesHandler),
            setup=_fresh_child_process,
        )
        process.daemon = True
        process.start()
        while not process.ready.wait(timeout=1):
            if not process.is_alive():
                raise RuntimeError("the live daphne server died while starting")
    os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    yield f"http://127.0.0.1:{process.port.value}"
    process.terminate()
    process.join(timeout=5)


@pytest.fixture(scope="session")
def amqp_port(live_server_url):
    """The live server's AMQP port (its listener starts with its first request)."""
    return settings.MQLAB_AMQP_PORT


@pytest.fixture(scope="session")
def kafka_port(live_server_url):
    """The live server's Kafka bootstrap port (its listener starts with its first request)."""
    return settings.MQLAB_KAFKA_PORT


@pytest.fixture
def shots(request):
    """Saves numbered screenshots under $MQLAB_SCREENSHOTS/<test name>/: the viewport, as a
    person sees it (a full-page capture misdraws the sticky toolbar and the scrolling panels)."""
    folder = Path(os.environ.get("MQLAB_SCREENSHOTS", "test-screenshots")) / request.node.name
    folder.mkdir(parents=True, exist_ok=True)
    counter = iter(range(1, 1000))

    def shoot(page, label, full_page=False):
        page.screenshot(path=str(folder / f"{next(counter):02d}-{label}.png"), full_page=full_page)

    return shoot


@pytest.fixture(autouse=True)
def no_script_errors(request):
    """A browser test fails if the page threw: an uncaught error in a module is a broken page
    even when the assertions happen to pass."""
    if "page" not in request.fixturenames:
        yield
        return
    page = request.getfixturevalue("page")
    errors = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    yield
    assert not errors, f"the page threw: {errors}"
