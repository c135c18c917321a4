"""The rooms running in this process, by id; saved rooms are loaded back on demand.

Creating a room records it at once; loading one replays its record and journal
(``journal.load``). On shutdown (SIGTERM, SIGINT: daphne's reactor stopping, or the
interpreter exiting) every room is saved with its virtual time, so a restart finds each
where it was.
"""

from __future__ import annotations

import asyncio
import atexit
import contextlib
import logging
import secrets
import sys
import threading
import time
from collections.abc import Iterator
from typing import Any, Protocol

from django.conf import settings

from mqlab import sources
from mqlab.rooms import offloop
from mqlab.rooms.journal import DatabaseJournal, load
from mqlab.rooms.pacing import pace
from mqlab.rooms.state import Room, RoomNotFound

logger = logging.getLogger("mqlab.rooms")

#: How long a shutdown save waits for a room that is in the middle of a job.
SHUTDOWN_WAIT_SECONDS = 2.0
#: How often rooms unused for the retention time are deleted (``mqlab.retention``).
PURGE_EVERY_SECONDS = 3600.0


def _idle_seconds() -> float:
    return getattr(settings, "MQLAB_ROOM_IDLE_SECONDS", 300.0)


def _touched(room: Room) -> Room:
    """A room just handed out is not idle: its socket is about to attach."""
    if room.viewers == 0:
        room.idle_since = time.monotonic()
    return room


class RoomElsewhere(LookupError):
    """Another worker of a cluster holds the room's lease (``mqlab.cluster``)."""

    def __init__(self, room_id: str, owner: str) -> None:
        super().__init__(f"room {room_id} runs on worker {owner}")
        self.owner = owner


class Claims(Protocol):
    """Who may run which room: a cluster's worker holds a lease per room (``mqlab.cluster``);
    ``claim`` raises RoomElsewhere when another holds it."""

    def claim(self, room_id: str) -> None: ...

    def release(self, room_id: str) -> None: ...


class Registry:
    def __init__(self) -> None:
        self._rooms: dict[str, Room] = {}
        self._lock = threading.Lock()
        self._purged_at: float | None = None
        #: Set in a cluster's room worker; None: this process runs every room it is asked for.
        self.claims: Claims | None = None

    def create(self, preset_slug: str, owner: str, seed: int | None = None, *,
               spec: dict[str, Any] | None = None, log: list[list[Any]] | None = None,
               now: float = 0.0) -> Room:
        """Start a room from a source slug (LookupError names the allowed ones) and record
        it. A scenario runs with its own seed unless one is given; ``spec`` is the scenario
        of an ``imported:`` slug; ``log`` and ``now`` replay a saved room's commands."""
        self._sweep()
        preset = sources.find(preset_slug, spec)
        if seed is None:
            seed = getattr(preset, "seed", None)
        room_id = secrets.token_urlsafe(8)
        if self.claims is not None:
            self.claims.claim(room_id)
        room = Room(room_id, preset, secrets.randbelow(2**31) if seed is None else seed,
                    owner, log=log, now=now, journal=DatabaseJournal(room_id))
        room.save()
        with self._lock:
            self._rooms[room.id] = room
        return room

    def running(self, room_id: str) -> Room | None:
        with self._lock:
            return self._rooms.get(room_id)

    def get(self, room_id: str) -> Room:
        """The running room, or the saved one started again (RoomNotFound if neither)."""
        self._sweep()
        room = self.running(room_id)
        if room is None:
            loaded = self._claimed_load(room_id)
            with self._lock:
                room = self._rooms.setdefault(room_id, loaded)
        return _touched(room)

    def _claimed_load(self, room_id: str) -> Room:
        if self.claims is None:
            return _load(room_id)
        self.claims.claim(room_id)
        try:
            return _load(room_id)
        except BaseException:
            self.claims.release(room_id)
            raise

    async def aget(self, room_id: str) -> Room:
        room = self.running(room_id)
        if room is not None:
            return _touched(room)
        # A replay may be long: on a room worker thread, never the loop or the sync views'.
        return await offloop.run(self.get, room_id)

    def watch(self, room: Room) -> None:
        """A viewer joined (on the event loop): make sure the room's runner runs."""
        room.attach()
        if room.runner is None or room.runner.done():
            room.runner = asyncio.get_running_loop().create_task(pace(room, self))

    def _sweep(self) -> None:
        """Save and forget rooms nobody watched for the idle time and that have no runner
        to do it (created or opened by a page whose socket never connected); once an hour,
        delete the records of rooms unused for the retention time."""
        self._purge_now_and_then()
        limit = time.monotonic() - _idle_seconds()
        for room in self:
            if (room.viewers == 0 and room.idle_since < limit
                    and (room.runner is None or room.runner.done())):
                room.save()
                with self._lock:
                    if room.viewers == 0 and self._rooms.get(room.id) is room:
                        del self._rooms[room.id]
                        self._release(room.id)

    def _purge_now_and_then(self) -> None:
        now = time.monotonic()
        if self._purged_at is not None and now - self._purged_at < PURGE_EVERY_SECONDS:
            return
        self._purged_at = now
        from mqlab.retention import purge_unused  # it asks this registry what runs here

        try:
            purge_unused()
        except Exception:  # a sweep that fails must not stop a room from opening
            logger.exception("the periodic purge of unused rooms failed")

    async def free(self, room: Room) -> bool:
        """Save an idle room and forget it; False if a viewer came back meanwhile."""
        await offloop.call(room, room.save)
        with self._lock:
            if room.viewers:
                return False
            if self._rooms.get(room.id) is room:
                del self._rooms[room.id]
                self._release(room.id)
        logger.info("room %s: idle, saved and freed", room.id)
        return True

    def _release(self, room_id: str) -> None:
        if self.claims is not None:
            self.claims.release(room_id)

    def drop(self, room_id: str) -> None:
        """Forget a room without saving it, cancelling its runner (a cluster's worker that
        lost the room's lease: its new owner has rebuilt it from the journal)."""
        with self._lock:
            room = self._rooms.pop(room_id, None)
        if room is not None and room.runner is not None:
            room.runner.cancel()

    def __iter__(self) -> Iterator[Room]:
        with self._lock:
            return iter(list(self._rooms.values()))

    def save_all(self) -> int:
        """Save every room with its virtual time (shutdown). Runs the saves on a thread of
        its own: the caller may be the event loop's thread, where the ORM refuses to run."""
        saved: list[int] = [0]

        def work() -> None:
            for room in self:
                if not room.lock.acquire(timeout=SHUTDOWN_WAIT_SECONDS):
                    logger.error("room %s: busy at shutdown; its journal has its commands",
                                 room.id)
                    continue
                try:
                    room.save()
                    saved[0] += 1
                except Exception:
                    logger.exception("room %s: could not save at shutdown", room.id)
                finally:
                    room.lock.release()

        thread = threading.Thread(target=work, name="mqlab-save-all")
        thread.start()
        thread.join()
        if saved[0]:
            logger.info("saved %d room(s) at shutdown", saved[0])
        return saved[0]

    async def stop_all(self) -> None:
        """Cancel every runner, wait for them, and forget every room (tests; shutdown)."""
        runners = [room.runner for room in self if room.runner is not None]
        self.clear()
        for runner in runners:
            with contextlib.suppress(asyncio.CancelledError):
                await runner

    def clear(self) -> None:
        """Forget every room, cancelling its runner."""
        for room in self:
            if room.runner is not None:
                room.runner.cancel()
        with self._lock:
            self._rooms.clear()


def _load(room_id: str) -> Room:
    saved = load(room_id)
    if saved is None:
        raise RoomNotFound(f"no room {room_id!r}; it may never have existed")
    return Room.from_record(saved["record"], log=saved["log"], now=saved["now"],
                            journal=DatabaseJournal(room_id))


registry = Registry()


def save_rooms_on_shutdown() -> None:
    """Save every room when the server stops: daphne's reactor runs its "before shutdown"
    triggers on SIGTERM and SIGINT; ``atexit`` covers any other orderly exit. (A kill -9
    skips both: the journal has every acknowledged command, and a load replays them.)"""
    atexit.register(registry.save_all)
    reactor = sys.modules.get("twisted.internet.reactor")
    if reactor is not None:  # only a reactor daphne already installed, never a default one
        reactor.addSystemEventTrigger("before", "shutdown", registry.save_all)
