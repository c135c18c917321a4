"""A room's share of the server's CPU: a token bucket of CPU seconds.

Thirty rooms share two cores. Each room may spend, on average, ``MQLAB_ROOM_CPU_SHARE`` of
one core (with bursts up to ``MQLAB_ROOM_CPU_BURST_SECONDS``). The room's jobs (frames,
commands) are timed on the thread that runs them; once its bucket is empty the room's clock
waits (it shows as overloaded, running slower) and its commands are refused as busy until
the bucket fills again. A room driven hard by one user therefore costs everyone else at most
its share, however its work is made up.
"""

from __future__ import annotations

import time

from django.conf import settings


class CpuShare:
    def __init__(self) -> None:
        self.rate = getattr(settings, "MQLAB_ROOM_CPU_SHARE", 0.15)
        self.burst = getattr(settings, "MQLAB_ROOM_CPU_BURST_SECONDS", 0.25)
        self.left = self.burst
        self._at = time.monotonic()

    def available(self) -> bool:
        """True while the room has CPU time left (refilled up to now)."""
        now = time.monotonic()
        self.left = min(self.burst, self.left + (now - self._at) * self.rate)
        self._at = now
        return self.left > 0

    def spend(self, seconds: float) -> None:
        self.left -= seconds

    def wait(self) -> float:
        """Wall seconds until the bucket has time again."""
        return 0.0 if self.left > 0 else -self.left / self.rate
