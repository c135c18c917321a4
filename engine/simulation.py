"""The simulation: one virtual clock, one seeded random source, the broker models, events out.

Commands go in as method calls (``sim.rabbitmq.channel().basic_publish(...)``); they take
effect at the current virtual time. Anything that happens later (deliveries, timeouts, TTLs,
the processing time of a simulated app) is scheduled on the clock and runs when the caller
advances time. The only randomness is ``sim.random``, a ``random.Random(seed)``; so the same
seed and the same calls always give the same event stream.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

from .broker import BrokerModel
from .clock import NORMAL, URGENT, Clock, Timer
from .errors import InvalidArgument
from .events import Event
from .limits import DEFAULTS, Account, Census, Limits
from .metrics import EVERY as METRICS_EVERY
from .metrics import Recorder
from .topology import TopologyBuilder

if TYPE_CHECKING:
    from .kafka import Kafka
    from .rabbitmq import RabbitMQ
    from .sqs import SQS
    from .sqs.sns import SNS

Listener = Callable[[Event], Any]


class Simulation:
    def __init__(self, seed: int = 0, limits: Limits | None = None) -> None:
        self.seed = seed
        #: the room's budget (``limits.py``); every broker model checks it
        self.limits = DEFAULTS if limits is None else limits
        #: what the room holds now, all brokers together (their accounts add into it)
        self.room = Account()
        #: the simulated apps running, for the room's caps on them (``engine/apps``)
        self.census = Census(self.limits)
        self.random = random.Random(seed)
        self._clock = Clock()
        self._listeners: list[Listener] = []
        #: True while anyone listens; hot paths skip building reasons when nobody does.
        self.listening = False
        self._seq = 0
        self._ids: dict[str, int] = {}
        self._brokers: dict[str, BrokerModel] = {}
        #: the metrics recorder (``record_metrics``), or None
        self.metrics: Recorder | None = None

    # -- time ------------------------------------------------------------------------------
    @property
    def now(self) -> float:
        return self._clock.now

    def advance(self, seconds: float) -> None:
        """Run everything due up to ``now + seconds``; ``advance(0)`` runs what is due now."""
        if not seconds >= 0:  # also refuses NaN
            raise InvalidArgument(
                f"advance({seconds!r}): time only moves forward; give seconds >= 0")
        self._clock.run_until(self._clock.now + seconds)

    def advance_to(self, at: float, max_calls: int | None = None) -> bool:
        """Run everything due up to exactly virtual time ``at``. A replay needs it:
        ``advance(at - now)`` can miss ``at`` by a rounding, as no float ``seconds`` may
        make ``now + seconds`` equal it. With ``max_calls``, run at most that many scheduled
        calls and return False if ``at`` was not reached (``now`` is then the instant of the
        last call run): a caller bounds its work in slices and carries on later."""
        if not at >= self._clock.now:  # also refuses NaN
            raise InvalidArgument(f"advance_to({at!r}): time only moves forward; give a time "
                                  f">= now ({self._clock.now!r})")
        self._clock.run_until(at, max_calls)
        due = self._clock.next_time()
        if due is not None and due <= at:
            return False
        self._clock.run_until(at)  # nothing left before ``at``: only moves the clock there
        return True

    def step(self) -> bool:
        """Jump to the next scheduled thing and run everything due then. False if idle."""
        at = self._clock.next_time()
        if at is None:
            return False
        self._clock.run_until(at)
        return True

    def next_due(self) -> float | None:
        """Virtual time of the next scheduled thing, or None."""
        return self._clock.next_time()

    def call_later(self, delay: float, call: Callable[..., Any], *args: Any) -> Timer:
        return self._clock.call_later(delay, call, *args, priority=NORMAL)

    def call_at(self, at: float, call: Callable[..., Any], *args: Any) -> Timer:
        return self._clock.call_at(at, call, *args, priority=NORMAL)

    def call_soon(self, call: Callable[..., Any], *args: Any) -> Timer:
        """Run at the current instant, before timers due at the same instant (deliveries)."""
        return self._clock.call_at(self._clock.now, call, *args, priority=URGENT)

    def record_metrics(self, every: float = METRICS_EVERY, **bounds: int) -> Recorder:
        """Sample every store's metrics every ``every`` virtual seconds from now on
        (``engine.metrics``); calling it again returns the recorder already running."""
        if self.metrics is None:
            self.metrics = Recorder(self, every, **bounds)
            self._clock.watch = self.metrics
        return self.metrics

    # -- events ----------------------------------------------------------------------------
    @property
    def seq(self) -> int:
        """Sequence number of the last event emitted (0 before any)."""
        return self._seq

    def subscribe(self, listener: Listener) -> Callable[[], None]:
        """Call ``listener(event)`` for each event from now on; returns an unsubscribe."""
        self._listeners.append(listener)
        self.listening = True

        def unsubscribe() -> None:
            if listener in self._listeners:
                self._listeners.remove(listener)
            self.listening = bool(self._listeners)

        return unsubscribe

    def emit(self, kind: str, broker: str, message_id: str | None = None,
             source: str | None = None, target: str | None = None, reason: str = "",
             details: dict[str, Any] | None = None,
             cause: dict[str, Any] | None = None) -> None:
        self._seq += 1
        if not self._listeners:
            return
        event = Event(self._seq, self._clock.now, kind, broker, message_id, source, target,
                      reason, {} if details is None else details, cause)
        for listener in tuple(self._listeners):
            listener(event)

    def new_id(self, prefix: str) -> str:
        """Deterministic ids: ``m1``, ``m2``, ... per prefix."""
        n = self._ids.get(prefix, 0) + 1
        self._ids[prefix] = n
        return f"{prefix}{n}"

    # -- the budget --------------------------------------------------------------------------
    def account(self) -> Account:
        """A new running count of held messages, included in ``held()`` (one per broker
        store: RabbitMQ's queues, its held publishes, Kafka's logs, SQS's queues)."""
        return Account(self.room)

    def held(self) -> tuple[int, int]:
        """Messages and bytes the room holds now, all brokers together."""
        return self.room.messages, self.room.bytes

    def fits(self, size: int, count: int = 1) -> bool:
        """Would ``count`` more messages of ``size`` bytes in all stay within the budget?"""
        room, limits = self.room, self.limits
        return (room.messages + count <= limits.max_messages
                and room.bytes + size <= limits.max_bytes)

    # -- brokers ---------------------------------------------------------------------------
    @property
    def rabbitmq(self) -> RabbitMQ:
        from .rabbitmq import RabbitMQ
        return self._broker("rabbitmq", RabbitMQ)

    @property
    def kafka(self) -> Kafka:
        from .kafka import Kafka
        return self._broker("kafka", Kafka)

    @property
    def sqs(self) -> SQS:
        from .sqs import SQS
        return self._broker("sqs", SQS)

    @property
    def sns(self) -> SNS:
        """Amazon SNS topics fanning out to ``sim.sqs``'s queues (``engine.sqs.sns``)."""
        return self.sqs.sns

    def _broker(self, name: str, cls: type) -> Any:
        model = self._brokers.get(name)
        if model is None:
            model = self._brokers[name] = cls(self)
        return model

    @property
    def brokers(self) -> dict[str, BrokerModel]:
        """The broker models in use so far, by name."""
        return dict(self._brokers)

    # -- snapshots -------------------------------------------------------------------------
    def topology(self) -> dict[str, Any]:
        """Nodes and edges of every broker in use, as plain data."""
        builder = TopologyBuilder()
        for model in self._brokers.values():
            model.topology(builder)
        return builder.as_dict()

    def snapshot(self) -> dict[str, Any]:
        """Everything a client needs to draw the room now: clock, topology, node contents."""
        contents: dict[str, Any] = {}
        for model in self._brokers.values():
            contents.update(model.contents())
        return {"now": self.now, "seq": self._seq, "topology": self.topology(),
                "contents": contents}

    def locations(self) -> Iterable[tuple[str, str]]:
        for model in self._brokers.values():
            yield from model.locations()
