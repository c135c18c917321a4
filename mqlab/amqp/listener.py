"""The AMQP listener: started with the server, on ``MQLAB_AMQP_PORT`` (none when 0).

daphne runs Twisted on an asyncio loop; the listener is an ``asyncio`` server on that loop,
started as the reactor starts (``reactor.callWhenRunning``) or, where the ASGI application is
served some other way (a test server forked by ``daphne.testing``), on its first request.
A port already taken is logged and the web server goes on without AMQP.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import sys
from typing import Any

from django.conf import settings

from mqlab.amqp.session import Session

logger = logging.getLogger("mqlab.amqp")

_server: asyncio.Server | None = None
_starting = False
_sessions: set[asyncio.Task[Any]] = set()


async def start(port: int | None = None, host: str | None = None) -> asyncio.Server | None:
    """Listen (once per process); the server, or None when the port is 0 or taken."""
    global _server, _starting
    if _server is not None or _starting:
        return _server
    port = settings.MQLAB_AMQP_PORT if port is None else port
    if not port:
        return None
    _starting = True
    try:
        _server = await asyncio.start_server(_accept, host or settings.MQLAB_AMQP_BIND, port,
                                             limit=2 ** 16)
    except OSError as error:
        logger.error("AMQP listener: cannot listen on port %s (%s); serving without AMQP",
                     port, error)
        return None
    finally:
        _starting = False
    logger.info("AMQP listener on %s:%s", host or settings.MQLAB_AMQP_BIND, port)
    return _server


async def stop() -> None:
    global _server
    if _server is not None:
        _server.close()
        _server = None
    for task in list(_sessions):
        task.cancel()
    await asyncio.gather(*_sessions, return_exceptions=True)


async def _accept(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    if len(_sessions) >= settings.MQLAB_AMQP_MAX_CONNECTIONS:
        writer.close()  # the node's connection limit: RabbitMQ closes the socket too
        return
    task = asyncio.current_task()
    assert task is not None
    _sessions.add(task)
    try:
        await Session(reader, writer).run()
    finally:
        _sessions.discard(task)


def started_with(application: Any) -> Any:
    """``application``, starting the listener when the server starts."""
    reactor = sys.modules.get("twisted.internet.reactor")
    if reactor is not None and settings.MQLAB_AMQP_PORT:
        # only a reactor daphne already installed, never a default one
        reactor.callWhenRunning(lambda: asyncio.ensure_future(start()))

    async def app(scope: dict, receive: Any, send: Any) -> None:
        if _server is None and not _starting and settings.MQLAB_AMQP_PORT:
            with contextlib.suppress(Exception):
                await start()
        await application(scope, receive, send)

    return app
