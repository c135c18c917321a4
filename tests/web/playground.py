"""Helpers for driving a playground room the way a learner does, with no server: commands
through ``Room.run_command`` as the room's controller, and a viewer's picture kept by the
event batches (Zulip's verify_action idea: a snapshot plus the batches that followed equals
a fresh snapshot)."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable, Iterable
from typing import Any

from mqlab.rooms import Outcome, Room

#: A lesson: (command, args) pairs, ("wait", seconds) and ("step", None).
Lesson = Iterable[tuple[str, Any]]


def run(room: Room, command: str, **args: Any) -> str:
    """Run a command that must succeed; what the room said."""
    outcome = room.run_command(room.owner, command, args)
    assert outcome.ok, outcome.message
    return outcome.message


def refused(room: Room, command: str, **args: Any) -> Outcome:
    """Run a command that must be refused; the refusal."""
    outcome = room.run_command(room.owner, command, args)
    assert not outcome.ok
    return outcome


class Picture:
    """What a client holds: a snapshot, updated by each batch as the web client does."""

    def __init__(self, snapshot: dict[str, Any]) -> None:
        self.seq = snapshot["seq"]
        self.now = snapshot["now"]
        self.topology = copy.deepcopy(snapshot["topology"])
        self.contents = copy.deepcopy(snapshot["contents"])

    def apply(self, frame: dict[str, Any]) -> None:
        if frame["type"] == "clock":
            self.now = frame["now"]
            return
        assert frame["type"] == "events"
        assert frame["from_seq"] == self.seq + 1, "a gap in the sequence numbers"
        self.seq = frame["seq"]
        self.now = frame["now"]
        for node, value in frame["patch"].items():
            if value is None:
                self.contents.pop(node, None)
            else:
                self.contents[node] = value
        if "topology" in frame:
            self.topology = frame["topology"]

    def matches(self, snapshot: dict[str, Any], *, clock: bool = True) -> bool:
        """Equal pictures; ``clock=False`` when time passed without events (the runner sends
        no frame for that: clients extrapolate the clock from its speed)."""
        assert self.topology == snapshot["topology"]
        assert self.contents == snapshot["contents"]
        assert self.seq == snapshot["seq"]
        assert not clock or self.now == snapshot["now"]
        return True


def play(room: Room, lesson: Lesson,
         on_batch: Callable[[dict[str, Any]], None] | None = None, *,
         strict: bool = False) -> None:
    """Run ``lesson`` as the room's controller, handing each batch to ``on_batch``.
    ``strict``: every command must succeed (a scripted lesson); else refusals are part of
    the lesson (random ones)."""
    for name, args in lesson:
        if name == "wait":
            room.tick(args)
        elif name == "step":
            room.control(room.owner, "step", None)
        else:
            args = {k: v for k, v in args.items() if v is not None}
            if strict:
                run(room, name, **args)
            else:
                room.run_command(room.owner, name, args)
        if on_batch is not None:
            batch = room.take_batch()
            if batch is not None:
                on_batch(json.loads(batch["text"]))


def follow(room: Room, lesson: Lesson, *, strict: bool = False) -> Picture:
    """A viewer joins ``room``, then ``lesson`` is played: the picture the batches kept."""
    room.viewers = 1
    _, snapshot = room.join(room.owner)
    picture = Picture(snapshot)
    play(room, lesson, picture.apply, strict=strict)
    return picture


def fresh_snapshot(room: Room) -> dict[str, Any]:
    return room.join(room.owner)[1]


def replayed(new_room: Callable[[], Room], lesson: Lesson) -> tuple[Room, Room]:
    """A room that played ``lesson`` live, and a new one rebuilt from its command log (as a
    room saved to the database is brought back)."""
    live = new_room()
    play(live, lesson)
    rebuilt = new_room()
    rebuilt._replay(copy.deepcopy(live.log), live.sim.now)
    return live, rebuilt
