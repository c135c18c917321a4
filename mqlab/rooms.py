"""Rooms: the simulations the server runs, paced against the wall clock.

A room is one ``engine.Simulation`` plus the broker's ``Lab`` (the channels and simulated
applications its commands drive). The engine never sleeps and never reads the clock; pacing
lives here, as in SimPy's ``rt.py``: every frame (~40 ms) the room's runner advances virtual
time by the wall time that passed times the room's speed (0.25x to 8x), unless paused, then
seals the events emitted since the last frame into one batch and broadcasts it to the room's
group. Commands (from htmx forms and the socket alike: ``Room.run_command`` is the one path
into the engine) take effect at once, at the current virtual time, followed by
``advance(0)`` so what happens "now" (routing, deliveries) shows even while paused.

A room starts from a source (``mqlab.sources``): a preset (commands applied to an empty
simulation), a scenario (a world ``engine.scenario.Run`` builds), or a walkthrough, whose
``Guide`` holds the clock at the end of the current step (``limit``).

Every command that passed validation is logged with its virtual time. With the source and the
seed, that log rebuilds the room exactly (the engine is deterministic): a room without viewers
for ``MQLAB_ROOM_IDLE_SECONDS`` is saved to the database and freed, and its URL replays it.
While nobody watches, the room's clock holds.

Batches follow Zulip's event queue: ``from_seq`` .. ``seq``, the events (the last
``MQLAB_MAX_EVENTS_PER_FRAME`` of them; the animation needs no more), and a ``patch`` with
the full new contents of each node whose contents changed, so a client's picture stays exact
however many events were left out of the animation.

Rooms live in the memory of one server process. With several daphne processes (Redis as the
channel layer), a room's sockets and form posts must reach the process that runs it (sticky
routing by room id); Redis then carries its broadcasts.
"""

from __future__ import annotations

import asyncio
import contextlib
import importlib
import logging
import secrets
import threading
import time
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from channels.db import database_sync_to_async
from channels.layers import get_channel_layer
from django.conf import settings

from engine import EngineError, Event, Simulation
from engine.errors import InvalidArgument, NotFound
from engine.events import PUBLISHED, ROUTED, TOPOLOGY_KINDS
from mqlab import sources, wire
from mqlab.commands import ArgumentError, BrokerKit, UnknownCommand, brokers, kit
from mqlab.models import RoomRecord
from mqlab.walkthroughs import GuideError

logger = logging.getLogger(__name__)

FRAME_SECONDS = 0.04
#: A runner that fell behind (a long garbage collection, a huge batch) catches up at most
#: this much wall time in one frame, rather than lurching through minutes of virtual time.
MAX_CATCH_UP_SECONDS = 0.25
SAVE_EVERY_SECONDS = 10.0
CLIENT_KEY = "mqlab_client"


def _setting(name: str, default: Any) -> Any:
    return getattr(settings, name, default)


def client_id(session: Any) -> str:
    """The browser's stable id, kept in its session (signed cookies have no session key)."""
    value = session.get(CLIENT_KEY)
    if not value:
        value = session[CLIENT_KEY] = secrets.token_urlsafe(12)
    return value


class RoomNotFound(LookupError):
    pass


@dataclass(frozen=True)
class Outcome:
    """What a command or control action came to, for a result or error frame / status."""

    ok: bool
    message: str
    code: wire.ErrorCode | None = None
    field: str | None = None
    #: What the room's viewers must hear about: "clock", "control" or "snapshot".
    announce: str | None = None

    def status(self, command: str) -> dict[str, Any]:
        return {"ok": self.ok, "message": self.message, "field": self.field,
                "command": command}


#: The engine's own codes for bad input: no broker's name for an error, so never shown.
_ENGINE_CODES = frozenset({EngineError.code, InvalidArgument.code, NotFound.code})


def engine_error_message(error: EngineError) -> str:
    """An engine error as the broker's client shows it, under the broker's own name for it
    ("NotEnoughReplicasException: ...", "QueueDoesNotExist: ..."), so a learner can look it
    up. RabbitMQ's reply text already starts with its code ("NOT_FOUND - no queue ...")."""
    if error.code in _ENGINE_CODES or error.message.startswith(error.code):
        return error.message
    return f"{error.code}: {error.message}"


def advance_to(sim: Simulation, at: float) -> None:
    """Run everything due up to exactly virtual time ``at`` (so a replay reaches the very
    instants the live run did); nothing when ``at`` is not ahead."""
    if at > sim.now:
        sim.advance_to(at)


def _topology_kinds(broker: str) -> frozenset[str]:
    try:
        package = importlib.import_module(f"engine.{broker}")
    except ImportError:
        return TOPOLOGY_KINDS
    return TOPOLOGY_KINDS | getattr(package, "TOPOLOGY_KINDS", frozenset())


def _all_topology_kinds() -> frozenset[str]:
    """Every broker's: a scenario may use several brokers in one room."""
    return frozenset().union(*(_topology_kinds(broker) for broker in brokers()))


class Room:
    """One running simulation: its clock settings, who controls it, its command log, its
    event history (for the inspector) and the events not yet sent to its viewers."""

    def __init__(self, room_id: str, preset: sources.Source, seed: int, owner: str, *,
                 free_play: bool = False, speed: float = 1.0, paused: bool = False,
                 log: list[list[Any]] | None = None, now: float = 0.0,
                 guide_at: dict[str, Any] | None = None) -> None:
        self.id = room_id
        #: Where the room starts from (a preset, scenario or walkthrough: ``mqlab.sources``).
        self.preset = preset
        self.kit: BrokerKit = kit(preset.broker)
        self.seed = seed
        self.owner = owner
        self.free_play = free_play
        self.speed = speed
        self.paused = paused
        self.group = f"room.{room_id}"
        self.lock = threading.RLock()
        self.history: deque[Event] = deque(maxlen=_setting("MQLAB_HISTORY_EVENTS", 20000))
        self.viewers = 0
        self.idle_since = time.monotonic()
        self.runner: asyncio.Task | None = None
        self.saved_at_len = -1
        self._topology_kinds = _all_topology_kinds()
        self._replay(log or [], now, guide_at)

    # -- building and replaying --------------------------------------------------------------
    def _reset_stream(self) -> None:
        # Only the events a frame can animate are kept; seq and the patch say the rest.
        self._pending: deque[Event] = deque(maxlen=_setting("MQLAB_MAX_EVENTS_PER_FRAME", 500))
        self._topology_changed = False
        self._flushed_seq = self.sim.seq
        self._sent_contents = self._contents()

    def _apply(self, command: Any, args: dict[str, Any], record: bool = True) -> str:
        """Run a validated command now; raises EngineError. Logged even when the engine
        refuses it, because a refusal may change state (RabbitMQ closes the channel)."""
        if record:
            self.log.append([self.sim.now, command.name, args])
        try:
            return command.run(self.lab, **args)
        finally:
            self.sim.advance(0)

    @classmethod
    def from_record(cls, record: RoomRecord) -> Room:
        return cls(record.id, sources.find(record.preset, record.scenario), record.seed,
                   record.owner, free_play=record.free_play, speed=record.speed,
                   paused=record.paused, log=record.log, now=record.now,
                   guide_at=record.guide)

    def _replay(self, log: list[list[Any]], until: float,
                guide_at: dict[str, Any] | None = None) -> None:
        """Rebuild from the preset and ``log``, then run to virtual time ``until``. Commands
        that failed live fail again the same way (the engine is deterministic), so their
        errors are expected here; so is a command a newer mqlab no longer has. A walkthrough
        plays its steps up to ``guide_at`` ({"index", "done"}) instead."""
        with self.lock:
            self.history.clear()
            self.sim, self.scenario_run, self.guide = sources.start(self.preset, self.seed,
                                                                   self._on_event)
            self.lab = self.kit.new_lab(self.sim)
            self.log = []
            for name, raw_args in self.preset.steps:
                command = self.kit.command(name)
                self._apply(command, command.parse(raw_args), record=False)
            for at, name, args in log:
                advance_to(self.sim, at)
                with contextlib.suppress(EngineError, ArgumentError, UnknownCommand):
                    self._apply(self.kit.command(name), args)
            if self.guide is not None:
                # A walkthrough's time is where its steps put it, not ``until``.
                self.guide.restore(**(guide_at or {"index": 0, "done": False}))
                self.paused = True  # until the presenter runs the step
            else:
                advance_to(self.sim, until)
            self._reset_stream()
            self.saved_at_len = len(self.log)

    def definition(self) -> dict[str, Any]:
        """The fields of the room's ``RoomRecord``."""
        with self.lock:
            return {"broker": self.preset.broker, "preset": self.preset.slug,
                    "seed": self.seed, "owner": self.owner, "free_play": self.free_play,
                    "speed": self.speed, "paused": self.paused, "now": self.sim.now,
                    "log": list(self.log), "scenario": sources.stored_spec(self.preset),
                    "guide": self.guide.state() if self.guide else None}

    def save(self) -> None:
        definition = self.definition()
        RoomRecord.objects.update_or_create(id=self.id, defaults=definition)
        self.saved_at_len = len(definition["log"])

    @property
    def dirty(self) -> bool:
        return self.saved_at_len != len(self.log)

    # -- events --------------------------------------------------------------------------------
    def _on_event(self, event: Event) -> None:
        self.history.append(event)
        if self.viewers:
            self._pending.append(event)
            if event.kind in self._topology_kinds:
                self._topology_changed = True

    def _contents(self) -> dict[str, Any]:
        """Every node's contents: the brokers', plus what the lab says about its simulated
        apps on their nodes (an optional ``Lab.contents()``: the messages an app works on)."""
        contents: dict[str, Any] = {}
        for model in self.sim.brokers.values():
            contents.update(model.contents())
        extra = getattr(self.lab, "contents", None)
        for node, value in (extra() if extra else {}).items():
            if node in contents:
                contents[node] = _merged(contents[node], value)
        return contents

    def _seal_batch(self) -> dict[str, Any] | None:
        """The events since the last batch as one frame, or None. Caller holds the lock."""
        seq = self.sim.seq
        if seq == self._flushed_seq:
            return None
        if not self.viewers:  # nobody to tell; whoever joins next starts from a snapshot
            self._flushed_seq = seq
            return None
        shown = list(self._pending)
        self._pending.clear()
        topology = self.sim.topology() if self._topology_changed else None
        self._topology_changed = False
        contents = self._contents()
        # Diff by value rather than trusting events to name every node they change: a
        # client's picture must end up equal to a fresh snapshot.
        sent = self._sent_contents
        patch = {node: value for node, value in contents.items() if sent.get(node) != value}
        patch.update(dict.fromkeys(sorted(sent.keys() - contents.keys())))
        self._sent_contents = contents
        frame = wire.events(self._flushed_seq + 1, seq, self.sim.now,
                            [event.to_dict() for event in shown], patch, topology=topology,
                            dropped=seq - self._flushed_seq - len(shown), sent_at=time.time())
        self._flushed_seq = seq
        return frame

    def take_batch(self) -> dict[str, Any] | None:
        """The next batch as a channel-layer message, or None."""
        with self.lock:
            frame = self._seal_batch()
        return _batch_message(frame)

    def join(self, client: str | None) -> tuple[dict[str, Any] | None, dict[str, Any]]:
        """For a new viewer or a resync: the batch others still need, then a snapshot that
        starts right where that batch ends."""
        with self.lock:
            batch = _batch_message(self._seal_batch())
            state = {**self.sim.snapshot(), "contents": self._contents()}
            snapshot = wire.snapshot(self.id, state, speed=self.speed, paused=self.paused,
                                     you=self.can_control(client), free_play=self.free_play)
        return batch, snapshot

    # -- viewers and pacing --------------------------------------------------------------------
    def attach(self) -> None:
        with self.lock:
            if self.viewers == 0:
                # Nobody saw what happened meanwhile; the joining viewer's snapshot covers it.
                self._reset_stream()
            self.viewers += 1
        if self.runner is None or self.runner.done():
            self.runner = asyncio.get_running_loop().create_task(_pace(self))

    def detach(self) -> None:
        with self.lock:
            self.viewers = max(0, self.viewers - 1)
            if self.viewers == 0:
                self.idle_since = time.monotonic()

    def tick(self, wall_seconds: float) -> str | None:
        """Advance the clock; returns what viewers must hear about ("walkthrough" when a
        walkthrough step has just ended), or None."""
        with self.lock:
            if self.paused:
                return None
            if self.guide is None:
                self.sim.advance(wall_seconds * self.speed)
                return None
            # A walkthrough's clock stops exactly at the end of its step.
            advance_to(self.sim, min(self.sim.now + wall_seconds * self.speed, self.guide.limit))
            if not self.guide.reached():
                return None
            self.paused = True  # so every viewer's clock stops at the step's end too
            return "clock walkthrough"

    # -- control -------------------------------------------------------------------------------
    def can_control(self, client: str | None) -> bool:
        return self.free_play or (client is not None and client == self.owner)

    def run_command(self, client: str | None, name: str, raw_args: dict[str, Any]) -> Outcome:
        """The one path into the engine for forms and the socket alike."""
        if not self.can_control(client):
            return Outcome(False, "you are watching this room; only its controller can send "
                           "commands", code="not-allowed")
        if self.guide is not None:
            return Outcome(False, "this room follows a walkthrough step by step; open its "
                           "scenario from the home page to experiment freely",
                           code="not-allowed")
        try:
            command = self.kit.command(name)
            args = command.parse(raw_args)
        except UnknownCommand as error:
            return Outcome(False, str(error), code="unknown-command", field="command")
        except ArgumentError as error:
            return Outcome(False, error.message, code="bad-argument", field=error.field)
        with self.lock:
            try:
                message = self._apply(command, args)
            except EngineError as error:  # a command may name the field it came from
                return Outcome(False, engine_error_message(error), code="engine-error",
                               field=getattr(error, "field", None))
            except ArgumentError as error:  # found by the lab: "no running consumer 'x'"
                return Outcome(False, error.message, code="bad-argument", field=error.field)
            except Exception as error:  # a bug of ours, not the user's: say so, keep serving
                logger.error("room %s: command %s%r failed: %r", self.id, name, args, error)
                return Outcome(False, f"the simulator failed on this command ({error!r})",
                               code="engine-error")
        return Outcome(True, message)

    def control(self, client: str | None, action: str, value: Any) -> Outcome:
        """Pause, resume, step, speed, reset, free play (values checked by ``wire``)."""
        if action == "free_play":
            if client != self.owner:
                return Outcome(False, "only the room's creator can hand control to everyone",
                               code="not-allowed")
            self.free_play = bool(value)
            said = "everyone can drive the room" if value else "control taken back"
            return Outcome(True, said, announce="control")
        if not self.can_control(client):
            return Outcome(False, "you are watching this room; only its controller can "
                           f"{action} it", code="not-allowed")
        with self.lock:
            return getattr(self, f"_control_{action}")(value)

    def _control_pause(self, value: Any) -> Outcome:
        self.paused = True
        return Outcome(True, "paused", announce="clock")

    def _control_resume(self, value: Any) -> Outcome:
        if self.guide is not None and self.guide.phase != "running":
            # A walkthrough's clock only runs within a step: play means run the step.
            return self._guide_action("run", None)
        self.paused = False
        return Outcome(True, "running", announce="clock")

    def _control_speed(self, value: Any) -> Outcome:
        self.speed = float(value)
        return Outcome(True, f"speed {self.speed:g}x", announce="clock")

    def _control_step(self, value: Any) -> Outcome:
        due = self.sim.next_due()
        if due is None:
            return Outcome(True, "nothing is scheduled", announce="clock")
        if self.guide is not None and due > self.guide.limit:
            advance_to(self.sim, self.guide.limit)  # nothing else happens within the step
        else:
            self.sim.step()
        if self.guide is not None and self.guide.reached():
            self.paused = True
            return Outcome(True, "the walkthrough step has ended",
                           announce="clock walkthrough")
        if self.guide is not None and self.guide.phase != "running":
            return Outcome(True, "a walkthrough's clock waits between steps: run the step",
                           announce="clock")
        return Outcome(True, f"stepped to t={self.sim.now:g}s", announce="clock")

    def _control_reset(self, value: Any) -> Outcome:
        self._replay([], 0.0)
        if self.guide is not None:
            return Outcome(True, "back to the walkthrough's first step",
                           announce="snapshot")
        self.saved_at_len = -1
        return Outcome(True, f"reset to {self.preset.title}", announce="snapshot")

    def clock_frame(self) -> dict[str, Any]:
        return wire.clock(self.sim.now, self.speed, self.paused)

    # -- walkthrough ---------------------------------------------------------------------------
    def walkthrough(self, client: str | None, action: str, value: Any) -> Outcome:
        """The presenter's run / next / back / replay / goto; viewers follow."""
        if self.guide is None:
            return Outcome(False, "this room has no walkthrough", code="not-found")
        if not self.can_control(client):
            return Outcome(False, "the presenter drives this walkthrough; you follow it",
                           code="not-allowed")
        with self.lock:
            return self._guide_action(action, value)

    def _guide_action(self, action: str, value: Any) -> Outcome:
        assert self.guide is not None
        try:
            if action in ("run", "next"):
                getattr(self.guide, action)()
                # A step plays at the room's speed; between steps the clock waits.
                self.paused = action != "run"
                self.saved_at_len = -1  # the guide's step is part of what a save keeps
                return Outcome(True, f"step {self.guide.index + 1}",
                               announce="clock walkthrough")
            index = self.guide.target(action, value)
        except GuideError as error:
            return Outcome(False, str(error), code="bad-argument", field="action")
        # A simulation cannot run backwards: rebuild and play the earlier steps again.
        self._replay([], 0.0, {"index": index, "done": False})
        self.saved_at_len = -1
        return Outcome(True, f"step {index + 1}", announce="snapshot")

    def walkthrough_frame(self) -> dict[str, Any] | None:
        with self.lock:
            if self.guide is None:
                return None
            return wire.walkthrough(self.id, self.guide.frame_fields())

    # -- inspection ------------------------------------------------------------------------------
    def command_groups(self) -> list[dict[str, Any]]:
        with self.lock:
            return self.kit.command_groups(self.lab)

    def describe(self) -> dict[str, str]:
        return {"id": self.id, "broker": self.preset.broker, "title": self.preset.title,
                "summary": self.preset.summary, "preset": self.preset.slug}

    def message_info(self, message_id: str) -> dict[str, Any]:
        """Where a message is, what it carries, and its history (from the ring buffer)."""
        # A copy ("m7.2": routed to a second queue) starts life inside its original's
        # routing; the original's publish and routing tell where the copy came from.
        root = message_id.split(".", 1)[0]
        with self.lock:
            where, summary = self._find_message(message_id)
            events = [event for event in self.history if event.message_id == message_id]
            if root != message_id and events:
                first = events[0].seq
                events[:0] = [event for event in self.history
                              if event.message_id == root and event.seq < first
                              and event.kind in (PUBLISHED, ROUTED)]
        if summary is None and events:
            summary = events[-1].details or None
        return {"id": message_id, "summary": summary, "where": where,
                "events": [event.to_dict() for event in events]}

    def _find_message(self, message_id: str) -> tuple[str | None, dict[str, Any] | None]:
        for node, value in self._contents().items():
            for message in value.get("messages", ()):
                if message.get("id") == message_id:
                    return node, message
        return None, None


def _merged(base: dict[str, Any], extra: dict[str, Any]) -> dict[str, Any]:
    """``base`` with ``extra``'s keys; dict values (counters) are merged one level deep."""
    merged = dict(base)
    for key, value in extra.items():
        inner = merged.get(key)
        merged[key] = {**inner, **value} if isinstance(inner, dict) and isinstance(value, dict) \
            else value
    return merged


def _batch_message(frame: dict[str, Any] | None) -> dict[str, Any] | None:
    """A batch for the room's group, serialised once for all its viewers (each consumer
    only checks ``seq`` and forwards the text)."""
    if frame is None:
        return None
    return {"type": "room.events", "seq": frame["seq"], "text": wire.dumps(frame)}


async def _pace(room: Room) -> None:
    """The room's runner: advance, broadcast, and free the room once it has been idle."""
    layer = get_channel_layer()
    last = last_save = time.monotonic()
    idle_limit = _setting("MQLAB_ROOM_IDLE_SECONDS", 300.0)
    try:
        while True:
            await asyncio.sleep(FRAME_SECONDS)
            now = time.monotonic()
            try:
                # Nobody watching: the clock holds, so an abandoned fast room costs nothing
                # until it is freed, and whoever comes back finds it where it was left.
                said = room.tick(min(now - last, MAX_CATCH_UP_SECONDS)) if room.viewers else None
                if said:
                    await announce(room, said)
            except Exception:  # a bug in a model: stop the clock, keep the room and socket
                logger.exception("room %s: the simulation failed; pausing the room", room.id)
                room.paused = True
                await announce(room, "clock")
            last = now
            batch = room.take_batch()
            if batch is not None:
                await layer.group_send(room.group, batch)
            if room.viewers == 0 and now - room.idle_since >= idle_limit:
                if await registry.free(room):
                    return
            elif room.dirty and now - last_save >= SAVE_EVERY_SECONDS:
                await _save(room)
                last_save = now
    except asyncio.CancelledError:
        raise
    except Exception:  # a bug in the server, not user input: keep the traceback
        logger.exception("room %s: runner stopped", room.id)


async def _save(room: Room) -> None:
    """A periodic save; if the database refuses it, the room keeps running for its viewers
    (it is saved again at the next chance) rather than its runner stopping."""
    try:
        await database_sync_to_async(room.save)()
    except Exception:
        logger.exception("room %s: could not save; it keeps running", room.id)


async def announce(room: Room, what: str) -> None:
    """Tell every viewer of ``room`` about a clock, control, snapshot or walkthrough change
    (several, space-separated, in that order)."""
    for part in what.split():
        await get_channel_layer().group_send(room.group, {"type": f"room.{part}"})


def _touched(room: Room) -> Room:
    """A room just handed out is not idle: its socket is about to attach."""
    if room.viewers == 0:
        room.idle_since = time.monotonic()
    return room


class Registry:
    """The rooms running in this process, by id; freed rooms are loaded back on demand."""

    def __init__(self) -> None:
        self._rooms: dict[str, Room] = {}
        self._lock = threading.Lock()

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
        room = Room(secrets.token_urlsafe(8), preset,
                    secrets.randbelow(2**31) if seed is None else seed, owner, log=log,
                    now=now)
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
            record = RoomRecord.objects.filter(id=room_id).first()
            if record is None:
                raise RoomNotFound(f"no room {room_id!r}; it may never have existed")
            loaded = Room.from_record(record)
            with self._lock:
                room = self._rooms.setdefault(room_id, loaded)
        return _touched(room)

    async def aget(self, room_id: str) -> Room:
        room = self.running(room_id)
        if room is not None:
            return _touched(room)
        return await database_sync_to_async(self.get)(room_id)

    def _sweep(self) -> None:
        """Save and forget rooms nobody watched for the idle time and that have no runner
        to do it (created or opened by a page whose socket never connected)."""
        limit = time.monotonic() - _setting("MQLAB_ROOM_IDLE_SECONDS", 300.0)
        for room in self:
            if (room.viewers == 0 and room.idle_since < limit
                    and (room.runner is None or room.runner.done())):
                room.save()
                with self._lock:
                    if room.viewers == 0 and self._rooms.get(room.id) is room:
                        del self._rooms[room.id]

    async def free(self, room: Room) -> bool:
        """Save an idle room and forget it; False if a viewer came back meanwhile."""
        await database_sync_to_async(room.save)()
        with self._lock:
            if room.viewers:
                return False
            if self._rooms.get(room.id) is room:
                del self._rooms[room.id]
        logger.info("room %s: idle, saved and freed", room.id)
        return True

    def __iter__(self) -> Iterator[Room]:
        with self._lock:
            return iter(list(self._rooms.values()))

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


registry = Registry()
