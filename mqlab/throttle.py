"""A wall-clock token bucket for what users send (frames per socket): the engine's bucket
(``engine.apps.token_bucket``, which runs on virtual time) fed with ``time.monotonic``."""

from __future__ import annotations

import threading
import time
from collections import OrderedDict

from engine.apps.token_bucket import TokenBucket as VirtualBucket


class TokenBucket:
    def __init__(self, rate: float, burst: float) -> None:
        self.rate = rate
        self.burst = burst
        self._bucket = VirtualBucket(rate, burst, now=time.monotonic())

    def take(self, cost: int = 1) -> bool:
        """Spend ``cost`` tokens if there are that many; False (nothing spent) otherwise."""
        now = time.monotonic()
        self._bucket.wait(now)  # refills up to now
        if self._bucket.tokens < cost:
            return False
        for _ in range(cost):
            self._bucket.take(now)
        return True


class Buckets:
    """A bucket per key (a browser's id), the least recently used forgotten past ``size``."""

    def __init__(self, rate: float, burst: float, size: int = 10_000) -> None:
        self.rate, self.burst, self.size = rate, burst, size
        self._buckets: OrderedDict[str, TokenBucket] = OrderedDict()
        self._lock = threading.Lock()

    def take(self, key: str, cost: int = 1) -> bool:
        with self._lock:
            bucket = self._buckets.pop(key, None) or TokenBucket(self.rate, self.burst)
            self._buckets[key] = bucket
            while len(self._buckets) > self.size:
                self._buckets.popitem(last=False)
            return bucket.take(cost)
