"""A simulated consumer: takes messages from a broker, works on them, and settles them.

What a learner watches here is the *delivery guarantee*, which is decided by the consumer,
not by the broker:

* ``at-most-once``: the message is settled on arrival (RabbitMQ auto-ack, an SQS delete
  before the work, a Kafka commit right after the poll). A crash or a failure loses the work:
  nothing is ever done twice, some things are never done.
* ``at-least-once``: settle after the work. A crash between the side effect and the ack makes
  the broker hand the message over again: nothing is lost, some things happen twice.
* ``effectively-once``: at-least-once plus an idempotency store checked before the side
  effect and recorded with it, so a redelivered message is recognised and skipped.

Each message takes a processing time (a distribution); the side effect ("email sent")
happens at ``side_effect_at`` of that time (1.0 = at the end, just before the ack); the work
fails by a probability or every time on a poison body. A failure is handled as configured:
``requeue`` (straight back), ``retry`` (later, with exponential backoff and jitter, the way
the broker allows; after ``max_attempts`` the message goes to the dead-letter queue),
``dead-letter`` (straight to the DLQ) or ``drop`` (settle it and lose the work). A token
bucket may cap the processing rate. ``concurrency`` workers process in parallel; messages
the broker already pushed wait in the app's own buffer (that is what prefetch fills).
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal

from engine.errors import EngineError

from . import kinds
from .backoff import Backoff
from .durations import Duration
from .failures import FailureRule
from .idempotency import ProcessedIds
from .ledger import Ledger
from .token_bucket import TokenBucket

if TYPE_CHECKING:
    from engine.clock import Timer
    from engine.simulation import Simulation

    from .adapters.base import ConsumerAdapter, Delivery

Guarantee = Literal["at-most-once", "at-least-once", "effectively-once"]
OnFailure = Literal["requeue", "retry", "dead-letter", "drop"]
#: A consumer that cannot connect (its queue is gone, ...) tries again this much later, as a
#: client library's reconnect loop does.
RECONNECT_EVERY = 5.0


@dataclass
class FailurePolicy:
    on_failure: OnFailure = "requeue"
    backoff: Backoff = field(default_factory=Backoff)
    #: attempts in all (the first one included) before the message is dead-lettered
    max_attempts: int = 3


@dataclass
class Job:
    delivery: Delivery
    failure: str | None
    timers: list[Timer] = field(default_factory=list)
    #: the side effect has happened (or was skipped as a duplicate)
    effect_done: bool = False


class Consumer:
    def __init__(self, sim: Simulation, name: str, adapter: ConsumerAdapter, *,
                 processing: Duration, guarantee: Guarantee = "at-least-once",
                 failures: FailureRule | None = None, policy: FailurePolicy | None = None,
                 ledger: Ledger | None = None, store: ProcessedIds | None = None,
                 side_effect_at: float = 1.0, concurrency: int = 1,
                 limiter: TokenBucket | None = None) -> None:
        self.sim = sim
        self.name = name
        self.adapter = adapter
        self.processing = processing
        self.guarantee = guarantee
        self.failures = failures or FailureRule()
        self.policy = policy or FailurePolicy()
        self.ledger = ledger or Ledger(name)
        self.store = store or ProcessedIds()
        self.side_effect_at = side_effect_at
        self.concurrency = concurrency
        self.limiter = limiter
        self.running = False
        self.received = 0
        self.failed = 0
        self.out_of_order = 0
        self._buffer: deque[Delivery] = deque()
        self._jobs: list[Job] = []
        self._wake: Timer | None = None
        self._reconnect: Timer | None = None
        # The room's cap on simulated consumers (engine/limits.py): refused up front; a stop
        # is a pause here (a timeline starts it again), so only ``retire`` frees the place.
        sim.census.admit_consumer(self, name)

    @property
    def node(self) -> str:
        return self.adapter.node

    # -- lifecycle ---------------------------------------------------------------------------
    def start(self) -> None:
        self._reconnect = None
        if self.running:
            return
        self.running = True
        try:
            self.adapter.open(self, self.guarantee == "at-most-once")
        except EngineError as error:
            self.running = False
            self._emit(kinds.CONNECT_FAILED, f"{self.name} could not start consuming:"
                       f" [{error.code}] {error}; retrying in {RECONNECT_EVERY:g}s",
                       {"code": error.code})
            self._reconnect = self.sim.call_later(RECONNECT_EVERY, self.start)

    def crash(self) -> None:
        """Die mid-work: in-flight timers stop; settled-but-unprocessed work is lost; the
        broker finds out its own way (connection drop, session or visibility timeout)."""
        if self._halt(f"{self.name} crashed"):
            self.adapter.crash()

    def stop(self) -> None:
        """Shut down: work in hand is abandoned, but the app says goodbye to the broker
        (channel close, leave group), so redelivery or rebalancing starts at once."""
        if self._halt(f"{self.name} stopped"):
            self.adapter.close()

    def retire(self) -> None:
        """Stop for good: the app no longer counts toward the room's cap on consumers."""
        self.stop()
        self.sim.census.leave(self)

    def _halt(self, what: str) -> bool:
        if self._reconnect is not None:  # a crash or stop also ends the reconnect loop
            self._reconnect.cancel()
            self._reconnect = None
        if not self.running:
            return False
        self.running = False
        waiting = list(self._buffer) + self.adapter.held()
        pending = [job.delivery for job in self._jobs] + waiting
        undone = [job.delivery for job in self._jobs if not job.effect_done] + waiting
        for job in self._jobs:
            for timer in job.timers:
                timer.cancel()
        if self._wake is not None:
            self._wake.cancel()
            self._wake = None
        self._jobs.clear()
        self._buffer.clear()
        self._emit(kinds.CONSUMER_CRASHED, f"{what} with {len(pending)} message(s) in hand",
                   {"in_hand": [d.key for d in pending]})
        if self.guarantee == "at-most-once":
            for delivery in undone:
                self._lose(delivery, "settled on arrival, and the app went down before the"
                           " work was done")
        else:
            for delivery in self.adapter.committed(undone):
                self._lose(delivery, "its offset was auto-committed before the work was"
                           " done, so nobody reads it again")
        return True

    def restart(self) -> None:
        if self.running:
            return
        self._emit(kinds.CONSUMER_RESTARTED, f"{self.name} restarted")
        self.start()

    # -- receiving ---------------------------------------------------------------------------
    def receive(self, delivery: Delivery) -> None:
        """The adapter hands over one message."""
        if not self.running:
            return
        self.received += 1
        self._buffer.append(delivery)
        self._pump()

    def _pump(self) -> None:
        while self.running and self._buffer and len(self._jobs) < self.concurrency:
            if self.limiter is not None and not self.limiter.take(self.sim.now):
                self._wait_for_token()
                return
            self._begin(self._buffer.popleft())
        if self.running and not self._buffer and len(self._jobs) < self.concurrency:
            self.adapter.want_more()

    def _wait_for_token(self) -> None:
        if self._wake is not None:
            return
        wait = self.limiter.wait(self.sim.now) if self.limiter else 0.0
        self._emit(kinds.RATE_LIMITED, f"token bucket empty: next message in {wait:.2f}s",
                   {"wait": wait})
        self._wake = self.sim.call_later(wait, self._woken)

    def _woken(self) -> None:
        self._wake = None
        self._pump()

    # -- working -----------------------------------------------------------------------------
    def _begin(self, delivery: Delivery) -> None:
        job = Job(delivery, self.failures.reason(delivery.body, self.sim.random))
        self._jobs.append(job)
        took = self.processing(self.sim.random)
        if self.side_effect_at < 1.0:
            job.timers.append(self.sim.call_later(took * self.side_effect_at, self._effect, job))
        job.timers.append(self.sim.call_later(took, self._finish, job))

    def _effect(self, job: Job) -> None:
        if job.failure is not None:
            return
        job.effect_done = True
        delivery = job.delivery
        self._check_order(delivery)
        if self.guarantee == "effectively-once" and not self.store.first_time(delivery.key):
            self._emit(kinds.DUPLICATE_SKIPPED, f"{delivery.key} already processed: the"
                       " idempotency store says skip the side effect", self._about(delivery))
            return
        if self.ledger.perform(delivery.key):
            self._emit(kinds.DUPLICATE_SIDE_EFFECT, f"{self.ledger.label}: {delivery.key}"
                       f" a {self._nth(delivery.key)} time", self._about(delivery))
        else:
            self._emit(kinds.SIDE_EFFECT, f"{self.ledger.label}: {delivery.key}",
                       self._about(delivery))
        effect = getattr(self.adapter, "on_effect", None)
        if effect is not None:  # the work writes to the broker itself (read-process-write)
            effect(delivery)

    def _finish(self, job: Job) -> None:
        if self.side_effect_at >= 1.0:
            self._effect(job)
        self._jobs.remove(job)
        delivery = job.delivery
        if job.failure is None:
            if self.guarantee != "at-most-once":
                self.adapter.ack(delivery)
        else:
            self._failed(delivery, job.failure)
        self._pump()

    def _failed(self, delivery: Delivery, reason: str) -> None:
        self.failed += 1
        self._emit(kinds.PROCESSING_FAILED, f"{delivery.key} attempt {delivery.attempt}:"
                   f" {reason}", self._about(delivery))
        if self.guarantee == "at-most-once":
            self._lose(delivery, "failed after the message was already settled")
            return
        policy = self.policy
        action = policy.on_failure
        if action == "retry" and delivery.attempt >= policy.max_attempts:
            self._emit(kinds.GAVE_UP, f"{delivery.key} failed {delivery.attempt} times"
                       f" (max_attempts {policy.max_attempts}): to the dead-letter queue",
                       self._about(delivery))
            action = "dead-letter"
        if action == "retry":
            delay = policy.backoff.delay(delivery.attempt, self.sim.random)
            self._emit(kinds.RETRY_SCHEDULED, f"{delivery.key}: attempt"
                       f" {delivery.attempt + 1} in {delay:.2f}s (exponential backoff,"
                       f" {policy.backoff.jitter} jitter)", {**self._about(delivery),
                                                            "delay": delay})
            self.adapter.retry(delivery, delay)
        elif action == "dead-letter":
            self.adapter.dead_letter(delivery)
        elif action == "drop":
            self.adapter.ack(delivery)
            self._lose(delivery, "failed and was dropped (acked without the work)")
        else:
            self.adapter.requeue(delivery)

    # -- bookkeeping -------------------------------------------------------------------------
    def _lose(self, delivery: Delivery, why: str) -> None:
        self.ledger.lose(delivery.key)
        self._emit(kinds.WORK_LOST, f"{delivery.key} lost: {why}", self._about(delivery))

    def _check_order(self, delivery: Delivery) -> None:
        """Flag a message processed after a later one of the same key (first times only:
        a redelivered duplicate is not a reordering)."""
        if delivery.ordering_key is None or delivery.seq is None:
            return
        if delivery.key in self.ledger.performed or delivery.key in self.store.keys:
            return
        last = self.ledger.last_seq.get(delivery.ordering_key, 0)
        if delivery.seq < last:
            self.out_of_order += 1
            self._emit(kinds.OUT_OF_ORDER, f"key {delivery.ordering_key}: #{delivery.seq}"
                       f" processed after #{last}", self._about(delivery))
        else:
            self.ledger.last_seq[delivery.ordering_key] = delivery.seq

    def _nth(self, key: str) -> str:
        count = self.ledger.performed[key]
        return {2: "second", 3: "third"}.get(count, f"{count}th")

    def _about(self, delivery: Delivery) -> dict[str, object]:
        return {"consumer": self.name, "key": delivery.key, "body": delivery.body[:200],
                "attempt": delivery.attempt, "from": delivery.source}

    def _emit(self, kind: str, reason: str, details: dict[str, object] | None = None) -> None:
        self.sim.emit(kind, self.adapter.broker, source=self.node, reason=reason,
                      details={"consumer": self.name, **(details or {})})
