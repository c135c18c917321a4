"""A simulated producer: sends messages on an arrival pattern, with keys, bodies and batches.

Every message carries an idempotency key (``<producer>-<n>``) so consumers can recognise a
redelivery, and, when it has a key, its number within that key (so reordering per key is
visible). The arrival pattern (steady, poisson, bursts, spike) says when and how many; the
key distribution (uniform, cycle, hot key) says which key; the body template what it says.
With ``batch`` > 1 messages are grouped and sent in one call of the broker's batch API.
Backpressure (see ``backpressure``) makes it slow down or refuse work when a queue is deep,
and a broker's own refusal (RabbitMQ's reject-publish nack) is reported, never hidden.
A broker that blocks the producer's connection (RabbitMQ's memory alarm, "Blocked Connection
Notifications") pauses its arrival loop until the connection is unblocked: the work waits
upstream, as a pika ``BlockingConnection`` waits inside ``basic_publish``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from . import kinds
from .adapters.base import Outgoing
from .backpressure import Backpressure
from .bodies import render
from .keys import KeyChooser
from .rates import Rate, highest

if TYPE_CHECKING:
    from engine.clock import Timer
    from engine.simulation import Simulation

    from .adapters.base import ProducerAdapter


class Producer:
    def __init__(self, sim: Simulation, name: str, adapter: ProducerAdapter, *,
                 rate: Rate | None = None, keys: KeyChooser | None = None,
                 body: str = "{producer}-{n}", start: float = 0.0, stop: float | None = None,
                 limit: int | None = None, batch: int = 1,
                 backpressure: Backpressure | None = None,
                 options: dict[str, Any] | None = None) -> None:
        self.sim = sim
        self.name = name
        self.adapter = adapter
        self.rate = rate
        self.keys = keys
        self.template = body
        self.start_at = start
        self.stop_at = stop
        self.limit = limit
        self.batch = batch
        self.backpressure = backpressure
        self.options = options or {}
        #: messages handed to the broker (accepted + refused by it)
        self.sent = 0
        self.accepted = 0
        self.rejected = 0
        self.throttled = 0
        self._n = 0
        self._seq: dict[str, int] = {}
        self._pending: list[Outgoing] = []
        self._timer: Timer | None = None
        #: the broker has blocked our connection; ``_parked`` is the tick waiting on it
        self.blocked = False
        self._parked: int | None = None
        # The room's caps on producers and their rate (engine/limits.py): refused up front.
        sim.census.admit_producer(self, name, highest(rate))
        watch = getattr(self.adapter, "watch_flow", None)
        if watch is not None:
            watch(self._on_blocked, self._on_unblocked)

    @property
    def node(self) -> str:
        return self.adapter.node

    def start(self) -> None:
        self.sim.census.admit_producer(self, self.name, highest(self.rate))
        if self.rate is not None:
            self._timer = self.sim.call_at(self.start_at, self._tick, 0)

    def stop(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        self._parked = None
        self.flush()
        self._wrap_up()
        self.sim.census.leave(self)

    # -- the broker's flow control -----------------------------------------------------------
    def _on_blocked(self, reason: str) -> None:
        self.blocked = True
        self._emit(kinds.PRODUCER_BLOCKED, f"the broker blocked {self.name}'s connection "
                   f"({reason}): it stops publishing until unblocked", {"reason": reason})

    def _on_unblocked(self) -> None:
        self.blocked = False
        self._emit(kinds.PRODUCER_RESUMED, f"the broker unblocked {self.name}'s connection: "
                   "it publishes again", {})
        if self._parked is not None:
            count, self._parked = self._parked, None
            self._timer = self.sim.call_soon(self._tick, count)

    # -- the arrival loop --------------------------------------------------------------------
    def _tick(self, count: int) -> None:
        self._timer = None
        if self.blocked:
            self._parked = count  # resumed by _on_unblocked
            return
        now = self.sim.now
        if self.stop_at is not None and now >= self.stop_at or self._exhausted():
            self.flush()
            self._wrap_up()
            return
        depth = self._pressure() if count else None
        bp = self.backpressure
        if depth is not None and bp is not None and bp.action == "slow":
            self.throttled += 1
            self._emit(kinds.PRODUCER_THROTTLED, f"{bp.queue} holds {depth} >="
                       f" {bp.threshold}: {self.name} pauses {bp.pause:g}s", {"depth": depth})
            self._timer = self.sim.call_later(bp.pause, self._tick, count)
            return
        for _ in range(count):
            if self._exhausted():
                break
            if depth is None:
                self.send()
            else:
                self._refuse(depth)
        assert self.rate is not None
        delay, count = self.rate.next(now, self.sim.random)
        if delay != float("inf"):
            self._timer = self.sim.call_later(delay, self._tick, count)
        else:
            self.flush()
            self._wrap_up()

    def _exhausted(self) -> bool:
        return self.limit is not None and self._n >= self.limit

    def _pressure(self) -> int | None:
        """The watched queue's depth when backpressure is engaged, else None."""
        bp = self.backpressure
        if bp is None:
            return None
        depth = self.adapter.depth(bp.queue)
        return depth if bp.engaged(depth) else None

    def _refuse(self, depth: int) -> None:
        """Backpressure by rejection: the request is refused before it becomes a message."""
        assert self.backpressure is not None
        bp = self.backpressure
        self._n += 1
        self.rejected += 1
        self._emit(kinds.PUBLISH_REJECTED, f"{bp.queue} holds {depth} >= {bp.threshold}:"
                   f" request {self.name}-{self._n} refused upstream (HTTP 503)",
                   {"key": f"{self.name}-{self._n}", "depth": depth})

    # -- sending -----------------------------------------------------------------------------
    def send(self, body: str | None = None, key: str | None = None,
             options: dict[str, Any] | None = None) -> None:
        """Send one message now (or add it to the current batch)."""
        self._n += 1
        if key is None and self.keys is not None:
            key = self.keys.choose(self.sim.random)
        seq = None
        if key is not None:
            seq = self._seq[key] = self._seq.get(key, 0) + 1
        if body is None:
            body = render(self.template, n=self._n, key=key, seq=seq or self._n,
                          producer=self.name, t=self.sim.now)
        merged = {**self.options, **(options or {})}
        self._pending.append(Outgoing(f"{self.name}-{self._n}", body, key, seq, merged))
        if len(self._pending) >= self.batch:
            self.flush()

    def flush(self) -> None:
        """Send the batch being collected now, however small."""
        if not self._pending:
            return
        batch, self._pending = self._pending, []
        for message, refusal in zip(batch, self.adapter.publish(batch), strict=True):
            self.sent += 1
            if refusal is None:
                self.accepted += 1
            else:
                self.rejected += 1
                self._emit(kinds.PUBLISH_REJECTED, f"{message.key}: {refusal}",
                           {"key": message.key, "body": message.body[:200]})
        if self._exhausted():
            self._wrap_up()

    def _wrap_up(self) -> None:
        """The last message is out: a transactional producer commits the transaction it
        still has open, or it would hold back read_committed consumers for good."""
        end = getattr(self.adapter, "end_transaction", None)
        if end is not None:
            end()

    def _emit(self, kind: str, reason: str, details: dict[str, object]) -> None:
        self.sim.emit(kind, self.adapter.broker, source=self.node, reason=reason,
                      details={"producer": self.name, **details})
