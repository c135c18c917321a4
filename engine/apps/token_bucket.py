"""A token bucket: the classic rate limiter a consumer (or producer) puts in front of work.

The bucket holds at most ``burst`` tokens and refills at ``rate`` tokens per virtual second.
Each unit of work takes one token; when none is left the work waits until the next token
has dripped in. Over a long run the work rate never exceeds ``rate``, while short bursts up
to ``burst`` pass at once (the algorithm as in RFC 2697's token bucket meters, without the
colours).
"""

from __future__ import annotations

#: Slack for float rounding: after waiting exactly ``wait()`` seconds a token must be there.
EPSILON = 1e-9


class TokenBucket:
    def __init__(self, rate: float, burst: float, now: float = 0.0) -> None:
        self.rate = rate
        self.burst = burst
        self.tokens = burst
        self.updated = now

    def _refill(self, now: float) -> None:
        self.tokens = min(self.burst, self.tokens + (now - self.updated) * self.rate)
        self.updated = now

    def wait(self, now: float) -> float:
        """Seconds until a token is available (0 when one is there now)."""
        self._refill(now)
        return 0.0 if self.tokens >= 1 - EPSILON else (1 - self.tokens) / self.rate

    def take(self, now: float) -> bool:
        """Take a token if there is one; False (and nothing taken) otherwise."""
        self._refill(now)
        if self.tokens < 1 - EPSILON:
            return False
        self.tokens = max(0.0, self.tokens - 1)
        return True
