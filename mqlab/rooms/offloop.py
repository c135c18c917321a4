"""Room work off the event loop, one job at a time per room.

The event loop never waits on a room's lock: a job (a frame, a command, a snapshot) runs on a
worker thread, and jobs for the same room queue behind an asyncio lock (awaited, so the loop
goes on serving other rooms) rather than each holding a thread while it waits. A sync view
(an htmx form post) takes the room's threading lock on its own thread.
"""

from __future__ import annotations

import asyncio
import functools
import os
import weakref
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

from django.conf import settings

T = TypeVar("T")

_executor: ThreadPoolExecutor | None = None
# One asyncio lock per (loop, room): tests run a loop per test, a server one for its life.
_turns: weakref.WeakKeyDictionary[Any, weakref.WeakKeyDictionary[Any, asyncio.Lock]] = \
    weakref.WeakKeyDictionary()


def _forget_after_fork() -> None:
    # A forked child (a live test server, a pre-forking deployment) has none of the parent's
    # threads: a pool inherited from the parent would take jobs and never run them.
    global _executor
    _executor = None
    _turns.clear()


os.register_at_fork(after_in_child=_forget_after_fork)


def executor() -> ThreadPoolExecutor:
    global _executor
    if _executor is None:
        _executor = ThreadPoolExecutor(getattr(settings, "MQLAB_ROOM_THREADS", 8),
                                       thread_name_prefix="mqlab-room")
    return _executor


async def run(fn: Callable[..., T], *args: Any) -> T:
    """``fn(*args)`` on a room worker thread (for work not tied to one room: loading)."""
    loop = asyncio.get_running_loop()
    return await loop.run_in_executor(executor(), functools.partial(fn, *args))


async def call(room: Any, fn: Callable[..., T], *args: Any) -> T:
    """``fn(*args)`` on a worker thread, after the room's earlier jobs."""
    loop = asyncio.get_running_loop()
    turns = _turns.setdefault(loop, weakref.WeakKeyDictionary())
    turn = turns.get(room)
    if turn is None:
        turn = turns[room] = asyncio.Lock()
    async with turn:
        return await loop.run_in_executor(executor(), functools.partial(fn, *args))
