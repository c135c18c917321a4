"""A room's state: one simulation, who controls it, its command log, and its replay.

A room is one ``engine.Simulation`` plus the broker's ``Lab`` (the channels and simulated
applications its commands drive). Everything here is plain and synchronous, testable without
an event loop: the runner that paces a room against the wall clock (``pacing``), the
registry that knows which rooms run here (``registry``) and the database journal
(``journal``) are separate modules. The room's ``lock`` is only ever taken on a worker thread
(``offloop``) or a sync view's thread, never on the event loop.

Commands (from htmx forms and the socket alike: ``Room.run_command`` is the one path into the
engine) take effect at the current virtual time, then what is due "now" runs (routing,
deliveries) within the room's work budget; what does not fit runs in the next frames, and a
command that arrives meanwhile is told the room is busy, so a replay (which runs without a
budget) sees the same order.

A room starts from a source (``mqlab.sources``): a preset (commands applied to an empty
simulation), a scenario (a world ``engine.scenario.Run`` builds), or a walkthrough, whose
``Guide`` holds the clock at the end of the current step (``limit``).

Every command that passed validation is logged with its virtual time and handed to the
journal before the caller hears back. With the source and the seed, that log rebuilds the room
exactly (the engine is deterministic). Replay runs each command under the same guard as live:
one that fails is logged and the room still opens, marked "replay diverged at command N".

Batches follow Zulip's event queue: ``from_seq`` .. ``seq``, the events (the last
``MQLAB_MAX_EVENTS_PER_FRAME`` of them; the animation needs no more), and a ``patch`` with
the full new contents of each node whose contents changed, so a client's picture stays exact
however many events were left out of the animation.
"""

from __future__ import annotations

import importlib
import logging
import secrets
import threading
import time
from collections import deque
from typing import Any, Protocol

from django.conf import settings

from engine import EngineError, Event
from engine.events import PUBLISHED, ROUTED, TOPOLOGY_KINDS
from engine.rabbitmq.why import binding_report
from mqlab import sources, wire
from mqlab.commands import ArgumentError, BrokerKit, UnknownCommand, brokers, kit
from mqlab.rooms import charts, realclients, traces
from mqlab.rooms.clockwork import run_bounded
from mqlab.rooms.history import MARKER_KINDS, Timeline, TimeTravel
from mqlab.rooms.outcome import Outcome, engine_error_message
from mqlab.rooms.pace import Pace
from mqlab.rooms.share import CpuShare
from mqlab.rooms.why import answer as why_answer
from mqlab.walkthroughs import GuideError

logger = logging.getLogger("mqlab.rooms")


#: Answers counted per walkthrough step (a class, not a crowd).
PREDICTIONS_PER_STEP = 500


#: Events that mean a command's message went nowhere (RabbitMQ unroutable, returned, or
#: dropped by a full queue; an SQS FIFO duplicate).
WARNING_KINDS = frozenset({"dropped", "returned", "duplicate-ignored"})


def _warning(events: list[Event]) -> str | None:
    """"1 of 3 messages went nowhere: no binding of the default exchange matches routing
    key ''" from the events a command caused."""
    if not events:
        return None
    reason = (events[0].reason or events[0].kind).replace(" → unroutable, discarded", "")
    count = len(events)
    what = "1 message" if count == 1 else f"{count} messages"
    return f"{what} went nowhere ({events[0].kind}): {reason}"


def _setting(name: str, default: Any) -> Any:
    return getattr(settings, name, default)


class Journal(Protocol):
    """Where a room's commands and definition are kept (``journal.DatabaseJournal``)."""

    def append(self, index: int, entry: list[Any]) -> None: ...

    def save(self, definition: dict[str, Any]) -> None: ...


def new_token() -> str:
    """A room's secret: 32 URL-safe characters (192 random bits)."""
    return secrets.token_urlsafe(24)


class RoomNotFound(LookupError):
    pass


def _topology_kinds(broker: str) -> frozenset[str]:
    try:
        package = importlib.import_module(f"engine.{broker}")
    except ImportError:
        return TOPOLOGY_KINDS
    return TOPOLOGY_KINDS | getattr(package, "TOPOLOGY_KINDS", frozenset())


def _all_topology_kinds() -> frozenset[str]:
    """Every broker's: a scenario may use several brokers in one room."""
    return frozenset().union(*(_topology_kinds(broker) for broker in brokers()))


class Room(TimeTravel):
    """One running simulation: its clock settings, who controls it, its command log, its
    event history (for the inspector) and the events not yet sent to its viewers."""

    def __init__(self, room_id: str, preset: sources.Source, seed: int, owner: str, *,
                 free_play: bool = False, speed: float = 1.0, paused: bool = False,
                 log: list[list[Any]] | None = None, now: float = 0.0,
                 guide_at: dict[str, Any] | None = None,
                 journal: Journal | None = None, token: str | None = None,
                 timeline: dict[str, Any] | None = None) -> None:
        self.id = room_id
        #: The secret real clients sign with (``mqlab.sqs_api``); shown to the controller only.
        self.token = token or new_token()
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
        self.journal = journal
        self.history: deque[Event] = deque(maxlen=_setting("MQLAB_HISTORY_EVENTS", 20000))
        #: Changed on the event loop only (``attach`` / ``detach``).
        self.viewers = 0
        self.idle_since = time.monotonic()
        self.runner: Any = None
        self.saved_at_len = -1
        self.pace = Pace()
        self.share = CpuShare()
        #: "replay diverged at command N (...)" when a saved log no longer replays cleanly.
        self.notice: str | None = None
        self._stale_stream = False
        self._topology_kinds = _all_topology_kinds()
        #: The class's predictions in a walkthrough: step index -> viewer -> (choice, name).
        self.predictions: dict[int, dict[str, tuple[int, str]]] = {}
        #: the metrics tail for the room's group, set by ``frame`` (``mqlab.rooms.charts``)
        self.metrics_out: dict[str, Any] | None = None
        #: Branches, markers and checkpoints (``history``); rebuilt by ``_replay``.
        self.timeline = Timeline()
        self._timeline_changed = False
        self._replay(log or [], now, guide_at, timeline)

    @property
    def budget(self) -> float:
        """Wall seconds of engine work one call (a frame, a command) may take."""
        return _setting("MQLAB_ROOM_WORK_BUDGET_SECONDS", 0.03)

    # -- building and replaying --------------------------------------------------------------
    def _reset_stream(self) -> None:
        # Only the events a frame can animate are kept; seq and the patch say the rest.
        self._pending: deque[Event] = deque(maxlen=_setting("MQLAB_MAX_EVENTS_PER_FRAME", 500))
        self._topology_changed = False
        self._flushed_seq = self.sim.seq
        self._sent_contents = self._contents()
        self._stale_stream = False

    def _apply(self, command: Any, args: dict[str, Any], record: bool = True) -> str:
        """Run a validated command now; raises EngineError. Logged even when the engine
        refuses it, because a refusal may change state (RabbitMQ closes the channel)."""
        if record:
            self._log_command([self.sim.now, command.name, args], command)
        try:
            return command.run(self.lab, **args)
        finally:
            if record:
                run_bounded(self.sim, self.sim.now, self.budget)
            else:
                self.sim.advance(0)

    @classmethod
    def from_record(cls, record: Any, *, log: list[list[Any]] | None = None,
                    now: float | None = None, journal: Journal | None = None) -> Room:
        """A saved room (a ``RoomRecord``), with ``log`` and ``now`` when a journal extends
        the record's own."""
        return cls(record.id, sources.find(record.preset, record.scenario), record.seed,
                   record.owner, free_play=record.free_play, speed=record.speed,
                   paused=record.paused, log=record.log if log is None else log,
                   now=record.now if now is None else now, guide_at=record.guide,
                   journal=journal, token=record.token or None, timeline=record.timeline)

    def _replay(self, log: list[list[Any]], until: float,
                guide_at: dict[str, Any] | None = None, timeline: Any = None) -> None:
        """Rebuild from the preset and ``log``, then run to virtual time ``until``. Commands
        that failed live fail again the same way (the engine is deterministic), so their
        errors are expected here; anything else is a divergence: logged, kept in the log, and
        said in ``notice`` — the room still opens. A walkthrough plays its steps up to
        ``guide_at`` ({"index", "done"}) instead."""
        with self.lock:
            self.history.clear()
            self.notice = None
            self.rewound = "reset"
            self.sim, self.scenario_run, self.guide = sources.start(self.preset, self.seed,
                                                                   self._on_event)
            self.sim.record_metrics()  # charts (issue 12): a new history per simulation
            self.tail = charts.Tail()
            self.lab = self.kit.new_lab(self.sim)
            self.log = []
            for name, raw_args in self.preset.steps:
                command = self.kit.command(name)
                self._apply(command, command.parse(raw_args), record=False)
            cursor = self._history_start(log, timeline)
            for number, entry in enumerate(log[:cursor], start=1):
                self._replay_entry(number, entry)
            self.log.extend(log[cursor:])  # the branch's future: played as the clock gets there
            if self.guide is not None:
                # A walkthrough's time is where its steps put it, not ``until``.
                self._guarded(len(log), lambda: self.guide.restore(
                    **(guide_at or {"index": 0, "done": False})))
                self.paused = True  # until the presenter runs the step
            else:
                self._guarded(len(log), lambda: self._advance_to_end(until))
                self._history_loaded(timeline)
            self._reset_stream()
            self.saved_at_len = len(self.log)

    def _replay_entry(self, number: int, entry: Any) -> None:
        """One logged command, re-parsed by its command's own ``parse`` (a stored log is
        data from the database, not trusted), at its own instant."""
        try:
            at, name, raw_args = entry
            at = float(at)
            command = self.kit.command(name)
            args = command.parse(raw_args)
        except (ValueError, TypeError, ArgumentError, UnknownCommand) as error:
            self._diverged(number, f"it cannot be read back: {error}")
            self.log.append(entry)  # kept as it was, so nothing is lost
            return
        if not self._guarded(number, lambda: self._advance(at)):
            return
        try:
            self._apply(command, args)
        except (EngineError, ArgumentError):
            pass  # failed live the same way
        except Exception as error:  # noqa: BLE001 - a replay must never brick a room
            self._diverged(number, repr(error))

    def _guarded(self, number: int, work: Any) -> bool:
        try:
            work()
        except Exception as error:  # noqa: BLE001 - the clock ran a model's bug
            self._diverged(number, repr(error))
            return False
        return True

    def _diverged(self, number: int, why: str) -> None:
        logger.error("room %s: replay diverged at command %d: %s", self.id, number, why)
        if self.notice is None:
            self.notice = f"replay diverged at command {number} ({why}); the log is kept"

    def definition(self) -> dict[str, Any]:
        """The fields of the room's ``RoomRecord``."""
        with self.lock:
            return {"broker": self.preset.broker, "preset": self.preset.slug,
                    "seed": self.seed, "owner": self.owner, "free_play": self.free_play,
                    "token": self.token, "speed": self.speed, "paused": self.paused,
                    "now": self.sim.now,
                    "log": list(self.log), "scenario": sources.stored_spec(self.preset),
                    "guide": self.guide.state() if self.guide else None,
                    "timeline": self.history_state()}

    def save(self) -> None:
        """Hand the whole definition to the journal (a no-op for a room without one)."""
        with self.lock:
            definition = self.definition()
            if self.journal is not None:
                self.journal.save(definition)
            self.saved_at_len = len(definition["log"])

    @property
    def dirty(self) -> bool:
        return self.saved_at_len != len(self.log)

    # -- events --------------------------------------------------------------------------------
    def _on_event(self, event: Event) -> None:
        self.history.append(event)
        if event.kind in MARKER_KINDS and self.timeline.mark(event):
            self._timeline_changed = True
        if self.viewers:
            self._pending.append(event)
            if event.kind in self._topology_kinds:
                self._topology_changed = True

    def _contents(self, sim: Any = None, lab: Any = None) -> dict[str, Any]:
        """Every node's contents: the brokers', plus what the lab says about its simulated
        apps on their nodes (an optional ``Lab.contents()``: the messages an app works on);
        the room's own unless a private copy's ``sim`` and ``lab`` are given (a peek)."""
        contents: dict[str, Any] = {}
        for model in (sim or self.sim).brokers.values():
            contents.update(model.contents())
        extra = getattr(lab or self.lab, "contents", None)
        for node, value in (extra() if extra else {}).items():
            if node in contents:
                contents[node] = _merged(contents[node], value)
        return contents

    def _seal_batch(self) -> dict[str, Any] | None:
        """The events since the last batch as one frame, or None. Caller holds the lock."""
        if self._stale_stream:
            self._reset_stream()  # the joining viewer's snapshot covers what came before
            return None
        seq = self.sim.seq
        if seq == self._flushed_seq:
            return None
        if not self.viewers:  # nobody to tell; whoever joins next starts from a snapshot
            self._flushed_seq = seq
            return None
        shown = list(self._pending)
        self._pending.clear()
        topology = realclients.drawn(self, self.sim.topology()) \
            if self._topology_changed else None
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
        return batch_message(frame)

    def join(self, client: str | None) -> tuple[dict[str, Any] | None, dict[str, Any]]:
        """For a new viewer or a resync: the batch others still need, then a snapshot that
        starts right where that batch ends."""
        with self.lock:
            batch = batch_message(self._seal_batch())
            state = {**self.sim.snapshot(), "contents": self._contents()}
            state["topology"] = realclients.drawn(self, state["topology"])
            snapshot = wire.snapshot(self.id, state, speed=self.speed, paused=self.paused,
                                     you=self.can_control(client), free_play=self.free_play)
            if self.notice:
                snapshot["notice"] = self.notice
            # How the room last went back in time, for a client whose picture's seq drops.
            snapshot["rewound"] = self.rewound
        return batch, snapshot

    # -- viewers and pacing (attach and detach run on the event loop: no lock) ---------------
    def attach(self) -> None:
        if self.viewers == 0:
            # Nobody saw what happened meanwhile: the stream restarts at the next batch or
            # snapshot, which the joining viewer's snapshot covers.
            self._stale_stream = True
        self.viewers += 1

    def detach(self) -> None:
        self.viewers = max(0, self.viewers - 1)
        if self.viewers == 0:
            self.idle_since = time.monotonic()

    def tick(self, wall_seconds: float) -> str | None:
        """``_tick``, plus "timeline" when the timeline changed (a new marker, a fork)."""
        said = self._tick(wall_seconds)
        if self._timeline_changed:
            self._timeline_changed = False
            return f"{said or 'clock'} timeline"
        return said

    def _tick(self, wall_seconds: float) -> str | None:
        """Advance the clock by ``wall_seconds`` at the room's speed, within the work budget;
        returns what viewers must hear about ("clock", "clock walkthrough"), or None. A
        paused room still finishes what is due now (a command's routing and deliveries)."""
        with self.lock:
            start = self.sim.now
            target = start if self.paused else start + wall_seconds * self.speed
            if self.guide is not None:
                target = min(target, max(self.guide.limit, start))
            reached = self._spent(lambda: self._play_to(target, self.budget)) \
                if self.share.available() else False
            if self.paused:
                return "clock" if self.pace.idle() else None
            said = self.pace.record(wall_seconds, self.sim.now - start, not reached, self.speed)
            if self.guide is not None and self.guide.reached():
                self.paused = True  # so every viewer's clock stops at the step's end too
                return "clock walkthrough"
            return "clock" if said else None

    def frame(self, wall_seconds: float) -> tuple[str | None, dict[str, Any] | None]:
        """One runner frame: tick (a model's bug pauses the room instead of escaping), then
        the batch for the room's group."""
        try:
            said = self.tick(wall_seconds)
        except Exception:  # noqa: BLE001 - a bug in a model: stop the clock, keep the room
            logger.exception("room %s: the simulation failed; pausing the room", self.id)
            self.paused = True
            said = "clock"
        batch = self.take_batch()
        with self.lock:  # the runner sends it after the batch (``pacing``)
            self.metrics_out = self.tail.message(self.sim)
        return said, batch

    def metrics_frame(self, nodes: tuple[str, ...] | None, points: int) -> dict[str, Any]:
        """A viewer's ``metrics`` request: the whole history, downsampled."""
        with self.lock:
            return charts.full_frame(self.sim, nodes, points)

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
            if not self.share.available():
                return Outcome(False, "this room has used its share of the server for now; "
                               f"send the command again in {self.share.wait():.1f} s",
                               code="busy")
            if not self._spent(lambda: run_bounded(self.sim, self.sim.now, self.budget)):
                return Outcome(False, "the room is still working through what happened at "
                               f"t={self.sim.now:g}s; send the command again in a moment",
                               code="busy")
            outcome = self._spent(lambda: self._run(command, args))
            self._journal_last()
        return outcome

    def _spent(self, work: Any) -> Any:
        """Run ``work``, charging the CPU time it took to the room's share."""
        started = time.thread_time()
        try:
            return work()
        finally:
            self.share.spend(time.thread_time() - started)

    def _run(self, command: Any, args: dict[str, Any]) -> Outcome:
        # What the command's messages came to: one dropped or returned is a warning.
        lost: list[Event] = []
        unsubscribe = self.sim.subscribe(
            lambda event: lost.append(event) if event.kind in WARNING_KINDS else None)
        try:
            message = self._apply(command, args)
        except EngineError as error:  # a command may name the field it came from
            return Outcome(False, engine_error_message(error), code="engine-error",
                           field=getattr(error, "field", None))
        except ArgumentError as error:  # found by the lab: "no running consumer 'x'"
            return Outcome(False, error.message, code="bad-argument", field=error.field)
        except Exception as error:  # noqa: BLE001 - our bug, not the user's: say so, serve on
            logger.error("room %s: command %s%r failed: %r", self.id, command.name, args,
                         error)
            return Outcome(False, f"the simulator failed on this command ({error!r})",
                           code="engine-error")
        finally:
            unsubscribe()
        warning = getattr(message, "warning", None) or _warning(lost)
        return Outcome(True, message, warning=warning)

    def _journal_last(self) -> None:
        """The command just logged reaches the journal before anyone hears back, so a
        command the server acknowledged survives a crash."""
        if self.journal is not None:
            self.journal.append(len(self.log) - 1, self.log[-1])

    def control(self, client: str | None, action: str, value: Any) -> Outcome:
        """Pause, resume, step, speed, reset, free play (values checked by ``wire``)."""
        if action == "free_play":
            if client != self.owner:
                return Outcome(False, "only the room's creator can hand control to everyone",
                               code="not-allowed")
            with self.lock:
                self.free_play = bool(value)
                self._save_quietly()
            said = "everyone can drive the room" if value else "control taken back"
            return Outcome(True, said, announce="control")
        if not self.can_control(client):
            return Outcome(False, "you are watching this room; only its controller can "
                           f"{action} it", code="not-allowed")
        if realclients.connected(self) and _leaves_real_time(action, value):
            return Outcome(False, realclients.REAL_TIME, code="not-allowed")
        with self.lock:
            outcome = getattr(self, f"_control_{action}")(value)
            if action != "step":
                self._save_quietly()
            return outcome

    def _save_quietly(self) -> None:
        """Keep a control's effect (free play, a reset, the guide's step) across a restart;
        a database that refuses is logged, and the room goes on."""
        try:
            self.save()
        except Exception:  # noqa: BLE001
            logger.exception("room %s: could not save", self.id)

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
        if not run_bounded(self.sim, self.sim.now, self.budget):
            return Outcome(True, f"still running what is due at t={self.sim.now:g}s",
                           announce="clock")
        due = self.sim.next_due()
        command_at = self._next_command_at()  # the branch's future, after a seek back
        if command_at is not None and (due is None or command_at < due):
            due = command_at
        if due is None:
            return Outcome(True, "nothing is scheduled", announce="clock")
        if self.guide is not None and due > self.guide.limit:
            due = self.guide.limit  # nothing else happens within the step
        self._play_to(due, self.budget)
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
        return {**wire.clock(self.sim.now, self.speed, self.paused), **self.pace.fields()}

    # -- walkthrough ---------------------------------------------------------------------------
    def walkthrough(self, client: str | None, action: str, value: Any) -> Outcome:
        """The presenter's run / next / back / replay / goto; viewers follow."""
        if self.guide is None:
            return Outcome(False, "this room has no walkthrough", code="not-found")
        if action == "predict":
            return self._predict(client, value)
        if not self.can_control(client):
            return Outcome(False, "the presenter drives this walkthrough; you follow it",
                           code="not-allowed")
        with self.lock:
            outcome = self._guide_action(action, value)
            self._save_quietly()
            return outcome

    def _guide_action(self, action: str, value: Any) -> Outcome:
        assert self.guide is not None
        try:
            if action in ("run", "next", "finish"):
                getattr(self.guide, action)()
                # A step plays at the room's speed; between steps the clock waits.
                self.paused = action != "run"
                if action == "next":
                    self.predictions.pop(self.guide.index, None)  # a fresh question
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

    def _predict(self, client: str | None, value: Any) -> Outcome:
        """A viewer's answer to the current step's question, counted in the class's tally
        (anonymous unless they gave a display name); answering again changes the answer."""
        assert self.guide is not None
        if not isinstance(value, dict):
            value = {"choice": value}
        choice, name = value.get("choice"), value.get("name") or ""
        predict = self.guide.steps[self.guide.index].get("predict")
        if predict is None:
            return Outcome(False, "this step asks no question", code="bad-argument",
                           field="value")
        if isinstance(choice, bool) or not isinstance(choice, int) \
                or not 0 <= choice < len(predict["choices"]):
            return Outcome(False, f"choice must be 0 to {len(predict['choices']) - 1}",
                           code="bad-argument", field="value")
        if not isinstance(name, str):
            name = ""
        if self.guide.phase == "done":
            return Outcome(False, "this step has been revealed; predict the next one",
                           code="bad-argument", field="value")
        with self.lock:
            answers = self.predictions.setdefault(self.guide.index, {})
            key = client or "anonymous"
            if key not in answers and len(answers) >= PREDICTIONS_PER_STEP:
                return Outcome(False, "this step has all the answers it can count",
                               code="bad-argument", field="value")
            answers[key] = (choice, name.strip()[:24])
        return Outcome(True, "prediction counted", announce="walkthrough")

    def tally(self, client: str | None) -> dict[str, Any] | None:
        """The class's predictions for the current step: the presenter sees them as they
        come in, everyone once the step has run."""
        assert self.guide is not None
        predict = self.guide.steps[self.guide.index].get("predict")
        if predict is None:
            return None
        answers = self.predictions.get(self.guide.index, {})
        mine = answers.get(client or "anonymous")
        if not (self.can_control(client) or self.guide.phase == "done"):
            return {"shown": False, "answered": len(answers),
                    "mine": None if mine is None else mine[0]}
        counts = [0] * len(predict["choices"])
        names: list[list[str]] = [[] for _ in predict["choices"]]
        for choice, name in answers.values():
            counts[choice] += 1
            if name:
                names[choice].append(name)
        return {"shown": True, "answered": len(answers), "counts": counts,
                "names": [sorted(group)[:12] for group in names],
                "mine": None if mine is None else mine[0]}

    def walkthrough_frame(self, client: str | None = None) -> dict[str, Any] | None:
        """The guide's state for one viewer: presenter notes and the live tally go only to
        whoever controls the room (the tally to everyone once the step is revealed)."""
        with self.lock:
            if self.guide is None:
                return None
            fields = self.guide.frame_fields()
            you = self.can_control(client)
            if not you:
                fields["step"] = {**fields["step"], "notes": None}
            fields["viewers"] = self.viewers
            fields["tally"] = self.tally(client)
            return wire.walkthrough(self.id, fields)

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
            trace = traces.message_trace(events, self.history)
            bindings = traces.bindings_seen(events, self._binding_report)
        if summary is None and events:
            summary = events[-1].details or None
        return {"id": message_id, "summary": summary, "where": where,
                "events": [event.to_dict() for event in events], "trace": trace,
                "bindings": bindings}

    def _binding_report(self, exchange: str, routing_key: str, headers: Any) -> list[Any]:
        model = self.sim.brokers.get("rabbitmq")
        return [] if model is None else binding_report(model, exchange, routing_key, headers)

    def why(self, node: str, message_id: str | None = None) -> dict[str, Any]:
        """"Why didn't it...?" about ``node`` and a message (``mqlab.rooms.why``)."""
        with self.lock:
            return why_answer(self.sim, self.history, node, message_id)

    def _find_message(self, message_id: str) -> tuple[str | None, dict[str, Any] | None]:
        for node, value in self._contents().items():
            for message in value.get("messages", ()):
                if message.get("id") == message_id:
                    return node, message
        return None, None


def _leaves_real_time(action: str, value: Any) -> bool:
    """Pause, step, or a speed other than 1×: what a room with real clients refuses."""
    return action in ("pause", "step") or (action == "speed" and value not in (1, 1.0, "1"))


def _merged(base: dict[str, Any], extra: dict[str, Any]) -> dict[str, Any]:
    """``base`` with ``extra``'s keys; dict values (counters) are merged one level deep."""
    merged = dict(base)
    for key, value in extra.items():
        inner = merged.get(key)
        merged[key] = {**inner, **value} if isinstance(inner, dict) and isinstance(value, dict) \
            else value
    return merged


def batch_message(frame: dict[str, Any] | None) -> dict[str, Any] | None:
    """A batch for the room's group, serialised once for all its viewers (each consumer
    only checks ``seq`` and forwards the text)."""
    if frame is None:
        return None
    return {"type": "room.events", "seq": frame["seq"], "text": wire.dumps(frame)}
