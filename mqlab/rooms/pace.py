"""How fast a room's clock really runs: its speed is what the controller asked for; when the
room's work does not fit in its frame budget the clock falls behind, and viewers are told
"this room is overloaded: running at 0.3×" instead of the server stalling."""

from __future__ import annotations

#: Wall seconds over which the effective speed is measured.
WINDOW = 1.0
#: Below this share of the asked speed, a room that fell behind counts as overloaded.
OVERLOADED_BELOW = 0.9


class Pace:
    def __init__(self) -> None:
        self.overloaded = False
        #: virtual seconds per wall second over the last window (None before one has passed)
        self.effective: float | None = None
        self._wall = 0.0
        self._virtual = 0.0
        self._behind = False

    def record(self, wall: float, virtual: float, behind: bool, speed: float) -> bool:
        """Account for one frame; True when viewers must hear of a change (the room became
        overloaded or recovered, or its effective speed moved while overloaded)."""
        self._wall += wall
        self._virtual += virtual
        self._behind |= behind
        if self._wall < WINDOW:
            return False
        effective = self._virtual / self._wall
        overloaded = self._behind and effective < speed * OVERLOADED_BELOW
        changed = overloaded != self.overloaded or (
            overloaded and abs(effective - (self.effective or 0.0)) > 0.1 * speed)
        self.overloaded, self.effective = overloaded, effective
        self._wall = self._virtual = 0.0
        self._behind = False
        return changed

    def idle(self) -> bool:
        """A paused or unwatched room is not overloaded; True if that is news."""
        changed = self.overloaded
        self.overloaded, self.effective = False, None
        self._wall = self._virtual = 0.0
        self._behind = False
        return changed

    def fields(self) -> dict[str, float | bool]:
        """For the clock frame: ``overloaded`` and, when it is, ``effective_speed``."""
        if not self.overloaded or self.effective is None:
            return {"overloaded": False}
        return {"overloaded": True, "effective_speed": round(self.effective, 2)}
