"""Time travel: seek a room to any instant of its history, fork it, switch branches, undo.

The engine is deterministic, so a room's past is its command log replayed; replaying from
zero is too slow for a long room, so the room keeps checkpoints (``checkpoints``) every
``MQLAB_CHECKPOINT_EVERY_SECONDS`` of virtual time and a seek replays only the commands since
the nearest one. ``Room.log`` holds the whole current branch; ``Timeline.cursor`` says how
many of its commands the simulation has run. After a seek back, the commands beyond the
cursor are the branch's future: playing on runs each when the clock reaches its instant, so
the same history unfolds again. A command given while behind the branch's end forks: the old
future is kept as a named branch, the new command starts a branch of its own. Undo is a seek
to just before the last command, then a fork.

Markers (crashes, dead letters, rebalances, broker failures, alerts) are recorded the first
time the branch's clock passes them (by event sequence number, so a replay does not add
them twice). Branches, their ends and markers are saved with the room (``state()``), so a
freed room comes back with them; checkpoints are memory only and are rebuilt by the replay.
"""

from __future__ import annotations

import contextlib
import logging
import math
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from django.conf import settings

from engine import EngineError, Event
from mqlab import wire
from mqlab.commands import ArgumentError, UnknownCommand
from mqlab.rooms.checkpoints import Checkpoint, Checkpoints, freeze, thaw
from mqlab.rooms.clockwork import run_bounded
from mqlab.rooms.outcome import Outcome

if TYPE_CHECKING:
    from engine import Simulation

logger = logging.getLogger("mqlab.rooms")

#: Event kinds worth a marker on the timeline, and the word the marker shows.
MARKER_KINDS = {
    "app-crashed": "crash", "consumer-crashed": "crash", "dead-lettered": "dead-letter",
    "rebalance-started": "rebalance", "broker-down": "broker down",
    "broker-restarted": "broker restart", "leader-elected": "leader elected",
    "alert": "alert", "alarm-raised": "alarm", "work-lost": "work lost", "gave-up": "gave up",
}
#: Markers of one kind on one node this close together (virtual seconds) count as one.
MARKER_MERGE_SECONDS = 1.0
MAX_MARKERS = 300
MAX_BRANCHES = 8
MAX_BRANCH_NAME = 40
#: Checkpoints an inactive branch keeps (a switch back replays from the nearest of them).
INACTIVE_CHECKPOINTS = 4
#: The most of a live room's wall time its checkpoints may take.
LIVE_SHARE = 0.1
MAIN = "main"
#: A logged command that fails again in a replay failed the same way live (deterministic).
FAILED_LIVE_TOO = (EngineError, ArgumentError, UnknownCommand, ValueError, TypeError)


def _setting(name: str, default: Any) -> Any:
    return getattr(settings, name, default)


def new_checkpoints() -> Checkpoints:
    return Checkpoints(_setting("MQLAB_CHECKPOINT_EVERY_SECONDS", 2.0),
                       _setting("MQLAB_CHECKPOINTS_MAX", 192),
                       _setting("MQLAB_CHECKPOINT_BYTES_MAX", 16 * 1024 * 1024))


def _at(entry: Any) -> float:
    try:
        at = float(entry[0])
    except (TypeError, ValueError, IndexError):
        return 0.0
    return at if math.isfinite(at) else 0.0


MARKER_FIELDS = {"at": float, "last": float, "kind": str, "node": str, "label": str,
                 "count": int, "seq": int}


def _marker(data: Any) -> bool:
    """A saved marker with every field of its type (numbers may be ints)."""
    return isinstance(data, dict) and all(
        isinstance(data.get(key), (int, float) if kind is float else kind)
        and not isinstance(data.get(key), bool) for key, kind in MARKER_FIELDS.items())


@dataclass
class Branch:
    """One line of history: its commands, how far its clock went, what happened on it."""

    name: str
    log: list[list[Any]] = field(default_factory=list)
    end: float = 0.0
    #: The instant it split from the branch it was forked from (None for the first).
    forked_at: float | None = None
    markers: list[dict[str, Any]] = field(default_factory=list)
    #: Events up to this sequence number have had their chance to become markers.
    marked_seq: int = 0
    checkpoints: Checkpoints = field(default_factory=new_checkpoints)

    def state(self) -> dict[str, Any]:
        return {"name": self.name, "log": self.log, "end": self.end,
                "forked_at": self.forked_at, "markers": self.markers,
                "marked_seq": self.marked_seq}

    @classmethod
    def from_state(cls, data: Any) -> Branch | None:
        """A saved branch, checked (it comes from the database), or None."""
        try:
            name = str(data["name"])[:MAX_BRANCH_NAME]
            if not isinstance(data["log"], list):
                return None
            log = [entry for entry in data["log"] if isinstance(entry, list)]
            end = float(data["end"])
            forked = data.get("forked_at")
            markers = [m for m in data.get("markers", []) if _marker(m)][:MAX_MARKERS]
            return cls(name, log, end if math.isfinite(end) else 0.0,
                       None if forked is None else float(forked), markers,
                       int(data.get("marked_seq", 0)))
        except (KeyError, TypeError, ValueError, AttributeError):
            return None


class Timeline:
    """The current branch (whose log is ``Room.log``), the cursor into it, and the others."""

    def __init__(self, saved: Any = None) -> None:
        self.current = Branch(MAIN)
        self.cursor = 0
        self.others: dict[str, Branch] = {}
        if isinstance(saved, dict):
            self._restore(saved)

    def _restore(self, saved: dict[str, Any]) -> None:
        current = Branch.from_state({**saved, "log": []})
        if current is not None:
            self.current = current
        for data in saved.get("others", [])[:MAX_BRANCHES]:
            branch = Branch.from_state(data)
            if branch is not None and branch.name != self.current.name:
                self.others[branch.name] = branch

    def state(self, now: float, length: int) -> dict[str, Any]:
        """What a save keeps (the current branch's log is the room's own ``log``, of
        ``length`` commands; ``ahead`` of them are its future)."""
        current = self.current
        return {"name": current.name, "end": max(current.end, now),
                "ahead": length - self.cursor,
                "forked_at": current.forked_at, "markers": current.markers,
                "marked_seq": current.marked_seq,
                "others": [branch.state() for branch in self.others.values()]}

    def new_name(self) -> str:
        number = len(self.others) + 2
        while f"branch {number}" in self.others or f"branch {number}" == self.current.name:
            number += 1
        return f"branch {number}"

    def mark(self, event: Event) -> bool:
        """Record ``event`` as a marker if it is one and new on this branch; True if added."""
        word = MARKER_KINDS.get(event.kind)
        branch = self.current
        if word is None or event.seq <= branch.marked_seq:
            return False
        branch.marked_seq = event.seq
        node = event.target or event.source or ""
        for marker in reversed(branch.markers[-8:]):
            if marker["kind"] == event.kind and marker["node"] == node \
                    and event.at - marker["last"] <= MARKER_MERGE_SECONDS:
                marker["count"] += 1
                marker["last"] = event.at
                return False
        if len(branch.markers) >= MAX_MARKERS:
            return False
        label = f"{word}: {node}" if node else word
        branch.markers.append({"at": event.at, "last": event.at, "kind": event.kind,
                               "node": node, "label": label[:60], "count": 1,
                               "seq": event.seq})
        return True

    def mark_command(self, at: float, seq: int, command: Any, args: dict[str, Any]) -> bool:
        """A fault a user caused (a command marked ``danger``: a crash, a broker restart, a
        poison message) is a marker too; True if added."""
        branch = self.current
        if not command.danger or seq < branch.marked_seq or len(branch.markers) >= MAX_MARKERS:
            return False
        if any(m["at"] == at and m["kind"] == command.name for m in branch.markers[-8:]):
            return False
        branch.marked_seq = seq
        what = next((value for value in args.values() if isinstance(value, str) and value), "")
        label = f"{command.label}: {what}" if what else command.label
        branch.markers.append({"at": at, "last": at, "kind": command.name, "node": what,
                               "label": label[:60], "count": 1, "seq": seq})
        return True

    def frame(self, now: float) -> dict[str, Any]:
        current = self.current
        branches = [current, *self.others.values()]
        branches.sort(key=lambda branch: (branch.forked_at is not None, branch.name))
        return {"v": wire.VERSION, "type": "timeline", "now": now,
                "end": max(current.end, now),
                "markers": [{"at": m["at"], "kind": m["kind"], "label": m["label"],
                             "count": m["count"]} for m in current.markers],
                "branches": [branch.name for branch in branches],
                "forks": {branch.name: {"at": branch.forked_at, "end": branch.end}
                          for branch in branches},
                "branch": current.name}


class _Deaf:
    """Stands in for the room in a private copy (a peek): hears nothing."""

    def __getattr__(self, name: str) -> Any:
        return lambda *args, **kwargs: None


class TimeTravel:
    """Seek, fork, branch and undo for ``Room`` (which provides sim, lab, log, kit...)."""

    timeline: Timeline
    sim: Simulation
    lab: Any
    scenario_run: Any
    guide: Any
    log: list[list[Any]]
    #: How the room last went back: "reset" (it started again) or "seek" (a seek, undo or
    #: branch switch), said in snapshots.
    rewound: str
    _next_live_checkpoint = 0.0
    #: Why the room cannot travel in time, when a checkpoint failed (a model's bug).
    _uncopyable: str | None = None

    # -- building ------------------------------------------------------------------------------
    def _history_start(self, log: list[list[Any]], saved: Any) -> int:
        """A new timeline for a room just built (before its log is replayed): the start is
        the first checkpoint. Returns how many of ``log``'s commands to replay now (a room
        saved while seeked back reopens there, its future still ahead)."""
        self.timeline = Timeline(saved)
        self.timeline.current.end = 0.0
        if self.guide is None:
            self._checkpoint()
            start = self.timeline.current.checkpoints.items[:1]
            for branch in self.timeline.others.values():  # every branch starts here
                branch.checkpoints.items = list(start)
        # Counted from the end: commands journaled after the save all ran (a command given
        # while behind forks and saves at once), so they are never part of a future.
        ahead = saved.get("ahead") if isinstance(saved, dict) else None
        if isinstance(ahead, int) and 0 <= ahead <= len(log):
            return len(log) - ahead
        return len(log)

    def _history_loaded(self, saved: Any) -> None:
        """After the replay: the branch ends where it had got to, or further."""
        end = saved.get("end") if isinstance(saved, dict) else None
        branch = self.timeline.current
        if isinstance(end, (int, float)) and math.isfinite(end):
            branch.end = max(branch.end, float(end))
        branch.end = max(branch.end, self.sim.now)

    def history_state(self) -> dict[str, Any]:
        return self.timeline.state(self.sim.now, len(self.log))

    # -- checkpoints and moving the clock ---------------------------------------------------------
    def _checkpoint(self) -> None:
        store = self.timeline.current.checkpoints
        started = time.thread_time()  # CPU time: a loaded machine must not thin them out
        if self._uncopyable:
            return
        try:
            data = freeze((self.sim, self.lab, self.scenario_run), (self,))
        except Exception as error:  # noqa: BLE001 - e.g. a model holding a generator
            # The room plays on; time travel is refused with the reason (``_refusal``).
            logger.exception("room %s: its state cannot be copied", self.id)  # type: ignore
            self._uncopyable = f"its state cannot be copied ({error!r:.120})"
            return
        store.add(Checkpoint(self.sim.now, self.timeline.cursor, self.sim.seq, data))
        took = time.thread_time() - started
        self._next_live_checkpoint = time.perf_counter() + took * (1 / LIVE_SHARE - 1)

    def _passed(self, live: bool = False) -> None:
        """The clock moved: extend the branch's end, and checkpoint when one is due (live,
        at most ``LIVE_SHARE`` of the wall time goes to checkpoints: a big room at 8x gets
        them further apart rather than spending its CPU share on them)."""
        branch = self.timeline.current
        branch.end = max(branch.end, self.sim.now)
        if self.guide is None and branch.checkpoints.due(self.sim.now) \
                and self.sim.now >= branch.end \
                and not (live and time.perf_counter() < self._next_live_checkpoint):
            self._checkpoint()

    def _advance(self, at: float) -> None:
        """Run everything due up to ``at`` (unbounded: a replay), checkpointing on the way.
        Also what is due at ``at`` when the clock is already there: a command given live ran
        only once everything due at its instant had (``Room.run_command``)."""
        store = self.timeline.current.checkpoints
        while store.items and at >= store.items[-1].at + store.every > self.sim.now:
            step_to = store.items[-1].at + store.every
            due = self.sim.next_due()
            if due is None or due > at:
                break  # nothing happens before ``at``: a checkpoint on the way copies nothing new
            # Across a quiet stretch (the next event days away) the state stands still, so
            # the next checkpoint is where something happens again, not one every few seconds.
            self.sim.advance_to(max(step_to, due))
            self._passed()
        self.sim.advance_to(max(at, self.sim.now))
        self._passed()

    def _play_to(self, target: float, budget: float) -> bool:
        """Live play within ``budget``: the branch's future commands run as the clock
        reaches them. True if ``target`` was reached."""
        timeline = self.timeline
        while timeline.cursor < len(self.log) and _at(self.log[timeline.cursor]) <= target:
            reached = run_bounded(self.sim, _at(self.log[timeline.cursor]), budget)
            self._passed(live=True)
            if not reached:
                return False
            self._run_logged(self.sim, self.lab, self.log[timeline.cursor])
            timeline.cursor += 1
        reached = run_bounded(self.sim, target, budget)
        self._passed(live=True)
        return reached

    def _advance_to_end(self, at: float) -> None:
        """Where a replay stops: the clock moves to ``at``, but a room that is there already
        (just built, or a checkpoint taken at ``at``) stays as it was at that moment."""
        if at > self.sim.now:
            self._advance(at)
        self._passed()

    def _next_command_at(self) -> float | None:
        if self.timeline.cursor < len(self.log):
            return _at(self.log[self.timeline.cursor])
        return None

    def _run_logged(self, sim: Any, lab: Any, entry: Any) -> None:
        """A command of the branch's future, as the live run ran it, then what it made due
        at once (routing, deliveries); errors it met live it meets again (the engine is
        deterministic)."""
        try:
            _at_, name, raw_args = entry
            command = self.kit.command(name)  # type: ignore[attr-defined]
            with contextlib.suppress(*FAILED_LIVE_TOO):
                command.run(lab, **command.parse(raw_args))
            sim.advance_to(sim.now)
        except Exception as error:  # noqa: BLE001 - a replay must never brick a room
            if sim is self.sim:
                self._diverged(self.timeline.cursor + 1, repr(error))  # type: ignore[attr-defined]

    def _log_command(self, entry: list[Any], command: Any) -> None:
        """A command given now: behind the branch's end it forks first."""
        timeline = self.timeline
        if self.guide is None and (timeline.cursor < len(self.log)
                                   or self.sim.now < timeline.current.end):
            self._fork()
        self.log.append(entry)
        timeline.cursor = len(self.log)
        if timeline.mark_command(entry[0], self.sim.seq, command, entry[2]):
            self._timeline_changed = True

    # -- seeking -------------------------------------------------------------------------------
    def _seek_to(self, at: float, limit: int | None = None, fresh: bool = False) -> None:
        """Put the room at virtual time ``at`` having run at most ``limit`` commands: from
        the current state if it is on the way, else from the nearest checkpoint."""
        timeline = self.timeline
        limit = len(self.log) if limit is None else limit
        store = timeline.current.checkpoints
        checkpoint = store.nearest(at, limit)
        on_the_way = not fresh and self.sim.now <= at and timeline.cursor <= limit
        if not on_the_way or (checkpoint is not None and checkpoint.at > self.sim.now):
            if checkpoint is None:
                raise LookupError("no checkpoint")  # the first is never dropped
            self.sim, self.lab, self.scenario_run = thaw(checkpoint.data)
            timeline.cursor = checkpoint.index
        while timeline.cursor < limit and _at(self.log[timeline.cursor]) <= at:
            self._advance(_at(self.log[timeline.cursor]))
            self._run_logged(self.sim, self.lab, self.log[timeline.cursor])
            timeline.cursor += 1
        self._advance_to_end(at)
        seq = self.sim.seq
        history = self.history  # type: ignore[attr-defined]
        while history and history[-1].seq > seq:
            history.pop()
        self._reset_stream()  # type: ignore[attr-defined]
        self.rewound = "seek"

    def _fork(self) -> None:
        """Keep the branch as it was; the room goes on in a new one from this instant."""
        timeline = self.timeline
        old = timeline.current
        old.log = self.log
        old.end = max(old.end, self.sim.now)
        seq = self.sim.seq
        new = Branch(timeline.new_name(), self.log[:timeline.cursor], self.sim.now,
                     self.sim.now, [m for m in old.markers if m["seq"] <= seq], seq,
                     old.checkpoints.upto(self.sim.now, timeline.cursor))
        old.checkpoints.thin(INACTIVE_CHECKPOINTS)
        timeline.others[old.name] = old
        while len(timeline.others) >= MAX_BRANCHES:  # the oldest goes
            timeline.others.pop(next(iter(timeline.others)))
        timeline.current = new
        self.log = new.log
        self._timeline_changed = True  # the runner's next frame tells every viewer
        self.saved_at_len = -1  # type: ignore[attr-defined]
        self._save_quietly()  # type: ignore[attr-defined]  # the journal follows the new log

    def _refusal(self) -> Outcome | None:
        """Why the room cannot travel now, or None: a walkthrough moves by its steps, and a
        replay is charged to the room's CPU share like any other work (``share``)."""
        if self.guide is not None:
            return Outcome(False, "a walkthrough moves by its steps; open its scenario from "
                           "the home page to travel in time", code="not-allowed")
        if self._uncopyable or not self.timeline.current.checkpoints.items:
            return Outcome(False, f"this room cannot travel in time: {self._uncopyable}",
                           code="engine-error")
        share = self.share  # type: ignore[attr-defined]
        if not share.available():
            return Outcome(False, "this room has used its share of the server for now; try "
                           f"again in {share.wait():.1f} s", code="busy")
        return None

    def _charged(self, work: Any) -> Any:
        return self._spent(work)  # type: ignore[attr-defined]

    def _control_seek(self, value: Any) -> Outcome:
        refusal = self._refusal()
        if refusal:
            return refusal
        end = max(self.timeline.current.end, self.sim.now)
        at = min(max(float(value), 0.0), end)
        self._charged(lambda: self._seek_to(at))
        self.paused = True
        return Outcome(True, f"at t={at:g}s", announce="snapshot timeline")

    def _control_undo(self, value: Any) -> Outcome:
        refusal = self._refusal()
        if refusal:
            return refusal
        cursor = self.timeline.cursor
        if cursor == 0:
            return Outcome(False, "nothing to undo: no command has run on this branch yet",
                           code="bad-argument", field="action")
        entry = self.log[cursor - 1]
        kept = self.timeline.current.name
        self._charged(lambda: self._seek_to(_at(entry), cursor - 1))
        self._fork()
        self.paused = True
        name = entry[1] if len(entry) > 1 else "command"
        return Outcome(True, f"undid {name} at t={_at(entry):g}s; {kept!r} keeps it",
                       announce="snapshot timeline")

    def _control_branch(self, value: Any) -> Outcome:
        refusal = self._refusal()
        if refusal:
            return refusal
        timeline = self.timeline
        if value == timeline.current.name:
            return Outcome(True, f"already on {value!r}", announce="timeline")
        target = timeline.others.get(value)
        if target is None:
            names = ", ".join(sorted(timeline.others)) or "none"
            return Outcome(False, f"no branch {value!r}; the others are: {names}",
                           code="bad-argument", field="value")
        at = self.sim.now
        old = timeline.current
        old.log, old.end = self.log, max(old.end, at)
        old.checkpoints.thin(INACTIVE_CHECKPOINTS)
        del timeline.others[target.name]
        timeline.others[old.name] = old
        timeline.current = target
        self.log = target.log
        self._charged(lambda: self._seek_to(min(at, target.end), fresh=True))
        self.paused = True
        self.saved_at_len = -1  # type: ignore[attr-defined]
        return Outcome(True, f"on branch {target.name!r} at t={self.sim.now:g}s",
                       announce="snapshot timeline")

    def timeline_frame(self) -> dict[str, Any]:
        with self.lock:  # type: ignore[attr-defined]
            return self.timeline.frame(self.sim.now)

    def peek(self, value: Any) -> dict[str, Any]:
        """A private snapshot at virtual time ``value`` for one viewer; the room is not
        touched (a copy is thawed from a checkpoint and played forward aside)."""
        refusal = self._refusal()
        if refusal:
            return wire.error(refusal.code or "busy", refusal.message)
        with self.lock:  # type: ignore[attr-defined]
            return self._charged(lambda: self._peek(value))

    def _peek(self, value: Any) -> dict[str, Any]:
        timeline = self.timeline
        at = min(max(float(value), 0.0), max(timeline.current.end, self.sim.now))
        checkpoint = timeline.current.checkpoints.nearest(at, len(self.log))
        assert checkpoint is not None  # the first is never dropped
        sim, lab, _run = thaw(checkpoint.data, stand_in=_Deaf())
        for entry in self.log[checkpoint.index:]:
            if _at(entry) > at:
                break
            sim.advance_to(max(_at(entry), sim.now))
            self._run_logged(sim, lab, entry)
        sim.advance_to(max(at, sim.now))
        state = {**sim.snapshot(), "contents": self._contents(sim, lab)}  # type: ignore
        frame = wire.snapshot(self.id, state, speed=self.speed,  # type: ignore[attr-defined]
                              paused=True, you=False,
                              free_play=self.free_play)  # type: ignore[attr-defined]
        frame["peek"] = True
        return frame
