"""Request/reply over the channel layer: a message to a worker's channel carries a fresh
reply channel of the caller's process; the worker answers there.

A worker that does not answer within the timeout, or whose load report expired while the
caller waited (it died), is a ``WorkerUnavailable`` with a message for a person.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from typing import Any

from channels.layers import get_channel_layer

from mqlab.cluster import store

#: How often a caller that waits checks that the worker is still alive.
ALIVE_EVERY_SECONDS = 1.0


class WorkerUnavailable(Exception):
    """The room's worker did not answer (it stopped, or is far behind)."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def channel_of(worker: str) -> str:
    """The worker's own channel on the channel layer."""
    return f"mqlab-worker.{worker}"


async def request(worker: str, message: dict[str, Any], timeout: float) -> dict[str, Any]:
    """Send ``message`` to ``worker`` and wait for its reply."""
    layer: Any = get_channel_layer()
    # The default prefix: channels-redis receives every process-local channel of one prefix
    # through one blocking pop; a second prefix would wait behind the consumers' for ever.
    reply_to = await layer.new_channel()
    await layer.send(channel_of(worker), {**message, "reply": reply_to})
    receiving = asyncio.ensure_future(layer.receive(reply_to))
    deadline = time.monotonic() + timeout
    try:
        while True:
            left = deadline - time.monotonic()
            done, _ = await asyncio.wait({receiving}, timeout=min(left, ALIVE_EVERY_SECONDS))
            if done:
                return receiving.result()
            if left <= ALIVE_EVERY_SECONDS:
                raise WorkerUnavailable(f"the room's worker did not answer within {timeout:g} s;"
                                        " try again in a moment")
            if not await store.alive(worker):
                raise WorkerUnavailable("the room's worker stopped; the room moves to another "
                                        "worker within a few seconds: try again then")
    finally:
        if not receiving.done():
            receiving.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await receiving


async def reply(message: dict[str, Any], answer: dict[str, Any]) -> None:
    """Answer a request (the caller may have given up: nothing to do then)."""
    layer: Any = get_channel_layer()
    await layer.send(message["reply"], answer)
