"""Checkpoints: a room's simulation frozen every few virtual seconds, so a seek replays only
the commands since the nearest one rather than the whole log (``history``).

A checkpoint is the room's whole engine state (the ``Simulation`` with its clock, brokers,
random source and whatever rides inside it, such as a metrics recorder; the broker's ``Lab``;
the scenario's ``Run``) pickled into bytes. Bytes rather than a live deep copy: a checkpoint
can never be changed by the room running on, thawing one gives a fresh copy every time, and
its size is known exactly, so the store keeps to a byte budget as well as a count.

Two things plain ``pickle`` refuses are handled here, in memory only (a checkpoint never
leaves the process):

- the engine schedules closures (``lambda: self._timed_out(entry)``): a function that is not
  importable by name is rebuilt from its code object and its closure cells, and the cells'
  contents are frozen with everything else, so a thawed timer calls into the thawed objects;
- the room itself (its ``_on_event`` listener is inside the simulation) is kept by reference:
  a thawed simulation reports to the same room, so no listener needs re-attaching; a
  private copy (a viewer's peek) is thawed with a stand-in in the room's place instead.

When the store is full, it drops the checkpoint whose neighbours are closest together, so
the survivors stay spread over the room's whole history (old ones thin out, never all go).
"""

from __future__ import annotations

import gc
import io
import pickle
import sys
import types
import weakref
from dataclasses import dataclass
from typing import Any

#: Objects a checkpoint refers to rather than copies (the room), by key.
_LIVE: weakref.WeakValueDictionary[int, Any] = weakref.WeakValueDictionary()
#: Code objects of the closures frozen so far: they live as long as their modules do.
_CODES: dict[int, types.CodeType] = {}


class _Empty:
    """Stands for a closure cell whose variable was not assigned yet."""


def _live(key: int) -> Any:
    return _LIVE[key]


def _live_method(key: int, name: str) -> Any:
    return getattr(_LIVE[key], name)


def _new_cell() -> types.CellType:
    return types.CellType()


def _fill_cell(cell: types.CellType, contents: Any) -> None:
    if contents is not _Empty:
        cell.cell_contents = contents


def _function(code: int, module: str, name: str, defaults: Any, closure: Any,
              kwdefaults: Any) -> types.FunctionType:
    function = types.FunctionType(_CODES[code], sys.modules[module].__dict__, name, defaults,
                                  closure)
    function.__kwdefaults__ = kwdefaults
    return function


class _Freezer(pickle.Pickler):
    def __init__(self, file: io.BytesIO, kept: tuple[Any, ...]) -> None:
        super().__init__(file, protocol=pickle.HIGHEST_PROTOCOL)
        self._kept = {id(obj) for obj in kept}
        for obj in kept:
            _LIVE[id(obj)] = obj

    def reducer_override(self, obj: Any) -> Any:
        kind = type(obj)
        if kind is types.FunctionType and "<" in obj.__qualname__:
            _CODES[id(obj.__code__)] = obj.__code__
            return _function, (id(obj.__code__), obj.__module__, obj.__name__, obj.__defaults__,
                               obj.__closure__, obj.__kwdefaults__)
        if kind is types.CellType:
            try:
                contents = obj.cell_contents
            except ValueError:
                contents = _Empty
            return _new_cell, (), contents, None, None, _fill_cell
        if kind is types.MethodType and id(obj.__self__) in self._kept:
            return _live_method, (id(obj.__self__), obj.__name__)
        if id(obj) in self._kept:
            return _live, (id(obj),)
        return NotImplemented


def freeze(state: Any, kept: tuple[Any, ...] = ()) -> bytes:
    """``state`` as bytes; the objects in ``kept`` are referred to, not copied."""
    buffer = io.BytesIO()
    _Freezer(buffer, kept).dump(state)
    return buffer.getvalue()


class _Thawer(pickle.Unpickler):
    """Thaws with ``stand_in`` in place of every kept object (a private copy: a peek)."""

    def __init__(self, file: io.BytesIO, stand_in: Any) -> None:
        super().__init__(file)
        self._stand_in = stand_in

    def find_class(self, module: str, name: str) -> Any:
        if module == __name__ and name == "_live":
            return lambda key: self._stand_in
        if module == __name__ and name == "_live_method":
            return lambda key, method: getattr(self._stand_in, method)
        return super().find_class(module, name)


def thaw(data: bytes, stand_in: Any = None) -> Any:
    """A fresh copy of what ``freeze`` was given; with ``stand_in``, that object replaces
    the kept ones (the copy then reports to it, not to the room)."""
    # Thawing makes many objects at once: the collector would scan them again and again
    # (a pause of a few hundred ms in a big room); none of them is garbage yet.
    collecting = gc.isenabled()
    gc.disable()
    try:
        if stand_in is None:
            return pickle.loads(data)  # noqa: S301 - our own bytes, made in this process
        return _Thawer(io.BytesIO(data), stand_in).load()  # noqa: S301
    finally:
        if collecting:
            gc.enable()


@dataclass(frozen=True)
class Checkpoint:
    """The room's engine state at virtual time ``at``, after its first ``index`` commands."""

    at: float
    index: int
    seq: int
    data: bytes


class Checkpoints:
    """A bounded, time-ordered store of one branch's checkpoints."""

    def __init__(self, every: float, max_count: int, max_bytes: int) -> None:
        self.every = every
        self.max_count = max(2, max_count)
        self.max_bytes = max_bytes
        self.items: list[Checkpoint] = []

    @property
    def bytes(self) -> int:
        return sum(len(item.data) for item in self.items)

    def due(self, now: float) -> bool:
        """Is a checkpoint at ``now`` wanted (``every`` seconds after the last one)?"""
        return not self.items or now >= self.items[-1].at + self.every

    def add(self, checkpoint: Checkpoint) -> None:
        while self.items and (self.items[-1].at > checkpoint.at
                              or self.items[-1].index > checkpoint.index):
            self.items.pop()  # a later history than this one: it was never ours
        self.items.append(checkpoint)
        self.thin()

    def nearest(self, at: float, index: int) -> Checkpoint | None:
        """The latest checkpoint at or before ``at`` that has at most ``index`` commands."""
        for item in reversed(self.items):
            if item.at <= at and item.index <= index:
                return item
        return None

    def upto(self, at: float, index: int) -> Checkpoints:
        """A store for a branch forked here: the checkpoints it shares with this one."""
        fork = Checkpoints(self.every, self.max_count, self.max_bytes)
        fork.items = [item for item in self.items if item.at <= at and item.index <= index]
        return fork

    def thin(self, max_count: int | None = None) -> None:
        """Drop checkpoints until within the count and byte budgets, always the one whose
        neighbours are closest together; the first (the room's start) is always kept."""
        limit = self.max_count if max_count is None else max(1, max_count)
        items = self.items
        total = self.bytes
        while len(items) > 1 and (len(items) > limit or total > self.max_bytes):
            if len(items) == 2:
                victim = 1
            else:
                victim = min(range(1, len(items) - 1),
                             key=lambda i: items[i + 1].at - items[i - 1].at)
            total -= len(items[victim].data)
            del items[victim]
