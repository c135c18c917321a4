"""What the cluster keeps in Redis: room leases and worker loads, each with an expiry.

- ``mqlab:room:<id>:owner`` = the owning worker's id, set only if absent (``SET NX PX``) and
  renewed by its owner every ``RENEW_SECONDS``; it expires ``LEASE_SECONDS`` after the owner
  stops renewing it (the owner died), and is deleted when the owner lets the room go.
- ``mqlab:worker:<id>`` = the worker's load as JSON (``rooms``, ``watched``, ``cpu``: share
  of a core over the last second, ``cpu_per_frame_ms``), with the same expiry; the set
  ``mqlab:workers`` lists the ids, and readers drop ids whose load key has expired.

Workers use the synchronous client (from their room threads, like the ORM); web processes
only read, on their event loop, with the asyncio client.
"""

from __future__ import annotations

import json
import os
import weakref
from typing import Any

import redis
import redis.asyncio
from django.conf import settings

LEASE_SECONDS = 4.0
RENEW_SECONDS = 1.0
WORKERS = "mqlab:workers"

# Renew or release only a lease still held by the caller (a worker that was paused past its
# lease must not take back a room another worker has claimed since).
_RENEW = "if redis.call('GET', KEYS[1]) == ARGV[1] then " \
         "return redis.call('PEXPIRE', KEYS[1], ARGV[2]) else return 0 end"
_RELEASE = "if redis.call('GET', KEYS[1]) == ARGV[1] then " \
           "return redis.call('DEL', KEYS[1]) else return 0 end"

_sync: tuple[int, redis.Redis] | None = None
_async: weakref.WeakKeyDictionary[Any, redis.asyncio.Redis] = weakref.WeakKeyDictionary()


def lease_key(room_id: str) -> str:
    return f"mqlab:room:{room_id}:owner"


def load_key(worker: str) -> str:
    return f"mqlab:worker:{worker}"


def client() -> redis.Redis:
    """The synchronous client (thread-safe; made again in a forked child)."""
    global _sync
    if _sync is None or _sync[0] != os.getpid():
        _sync = (os.getpid(), redis.Redis.from_url(settings.REDIS_URL, decode_responses=True))
    return _sync[1]


def aclient() -> redis.asyncio.Redis:
    """The asyncio client of the running loop (its connections belong to that loop)."""
    import asyncio

    loop = asyncio.get_running_loop()
    found = _async.get(loop)
    if found is None:
        found = _async[loop] = redis.asyncio.Redis.from_url(settings.REDIS_URL,
                                                           decode_responses=True)
    return found


# -- leases (workers) -----------------------------------------------------------------------

def claim(room_id: str, worker: str) -> str:
    """Take the room's lease if nobody holds it; the owner afterwards (``worker`` if won)."""
    r = client()
    if r.set(lease_key(room_id), worker, nx=True, px=int(LEASE_SECONDS * 1000)):
        return worker
    owner = r.get(lease_key(room_id))
    if owner is None:  # expired between the two calls: try once more
        return claim(room_id, worker)
    return owner


def renew(room_ids: list[str], worker: str) -> list[str]:
    """Renew these leases; the ids of those no longer ``worker``'s (lost)."""
    if not room_ids:
        return []
    pipe = client().pipeline(transaction=False)
    for room_id in room_ids:
        pipe.eval(_RENEW, 1, lease_key(room_id), worker, int(LEASE_SECONDS * 1000))
    return [room_id for room_id, kept in zip(room_ids, pipe.execute(), strict=True)
            if not kept]


def release(room_id: str, worker: str) -> None:
    client().eval(_RELEASE, 1, lease_key(room_id), worker)


def holds(room_id: str, worker: str) -> bool:
    return client().get(lease_key(room_id)) == worker


# -- loads (workers report, web processes read) ----------------------------------------------

def report(worker: str, load: dict[str, Any]) -> None:
    pipe = client().pipeline(transaction=False)
    pipe.set(load_key(worker), json.dumps(load), px=int(LEASE_SECONDS * 1000))
    pipe.sadd(WORKERS, worker)
    pipe.execute()


def withdraw(worker: str) -> None:
    pipe = client().pipeline(transaction=False)
    pipe.delete(load_key(worker))
    pipe.srem(WORKERS, worker)
    pipe.execute()


async def owner(room_id: str) -> str | None:
    return await aclient().get(lease_key(room_id))


async def alive(worker: str) -> bool:
    return bool(await aclient().exists(load_key(worker)))


async def loads() -> dict[str, dict[str, Any]]:
    """Every live worker's last load report, by id (expired ones are forgotten)."""
    r = aclient()
    ids = sorted(await r.smembers(WORKERS))
    if not ids:
        return {}
    found: dict[str, dict[str, Any]] = {}
    for worker, raw in zip(ids, await r.mget([load_key(i) for i in ids]), strict=True):
        if raw is None:
            await r.srem(WORKERS, worker)
        else:
            found[worker] = json.loads(raw)
    return found
