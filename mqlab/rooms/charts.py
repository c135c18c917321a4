"""A room's charts: its simulation's metrics (``engine.metrics``) as ``metrics`` frames.

A viewer asks for the whole history once (a ``full`` frame, downsampled to the points it
asked for); then the runner sends every viewer the new samples at a low rate (``tail``
frames), serialised once for the room's group. ``after`` in a tail is the instant of the last
sample sent before it, so a client that missed one asks for a full frame again.
"""

from __future__ import annotations

import time
from typing import Any

from django.conf import settings

from engine import Simulation
from engine.metrics import Recorder
from mqlab import wire


class Tail:
    """What the room's viewers were last sent: the last sample instant and when."""

    def __init__(self) -> None:
        self.sent_until: float | None = None
        self.sent_at = 0.0
        self.recorder: Recorder | None = None

    def message(self, sim: Simulation) -> dict[str, Any] | None:
        """The group message for the samples taken since the last one, or None when there is
        none or the last went out less than ``MQLAB_METRICS_TAIL_SECONDS`` ago."""
        recorder = sim.metrics
        wall = time.monotonic()
        every = getattr(settings, "MQLAB_METRICS_TAIL_SECONDS", 0.5)
        if recorder is None or not recorder.recent or wall - self.sent_at < every:
            return None
        if recorder is not self.recorder:  # another history (a checkpoint restored): anew
            self.recorder, self.sent_until = recorder, None
        last = recorder.recent[-1][0]
        if self.sent_until is not None and last <= self.sent_until:
            return None
        series = recorder.export(max_points=wire.MAX_METRICS_POINTS, since=self.sent_until,
                                 max_values=wire.MAX_METRICS_VALUES)
        frame = wire.metrics("tail", sim.now, series, self.sent_until)
        self.sent_until, self.sent_at = last, wall
        return {"type": "room.metrics", "text": wire.dumps(frame)}


def full_frame(sim: Simulation, nodes: tuple[str, ...] | None, points: int) -> dict[str, Any]:
    """The whole history, at most ``points`` instants."""
    recorder = sim.record_metrics()
    series = recorder.export(nodes, points, max_values=wire.MAX_METRICS_VALUES)
    return wire.metrics("full", sim.now, series, None)
